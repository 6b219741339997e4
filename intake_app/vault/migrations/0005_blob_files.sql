-- Attachments stored as sealed files in the vault folder (intake_app/vault/blobfiles.py):
-- `file_id` names the file (random, says nothing of the content) and `file_key` is its own
-- 256-bit key. The key lives only here, inside the encrypted database, so deleting the row
-- (secure_delete on) erases the file's content even before the file itself is unlinked.
-- Rows without a file_id are older attachments still held in blob_chunks.
ALTER TABLE blobs ADD COLUMN file_id TEXT CHECK (file_id IS NULL OR length(file_id) = 32);
ALTER TABLE blobs ADD COLUMN file_key BLOB CHECK (file_key IS NULL OR length(file_key) = 32);
CREATE UNIQUE INDEX blobs_file_id ON blobs (file_id) WHERE file_id IS NOT NULL;
