"""Field work: follow-up tasks, transcription of paper forms, the body diagram (no Qt)."""
