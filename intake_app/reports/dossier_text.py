"""The dossier's own words (headings, notes) in Russian, Kazakh and English.

Answers and question labels come from the protocol; these are only the words the protocol
file does not carry. Kazakh uses its own letters (ә ғ қ ң ө ұ ү һ і).
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "Case dossier", "ru": "Досье по делу", "kk": "Іс бойынша досье"},
    "confidential": {
        "en": "Confidential. This file is a plaintext copy outside the encrypted vault: keep "
        "it safe, share it only with the people the person agreed to, and destroy it when it "
        "is no longer needed.",
        "ru": "Конфиденциально. Этот файл — незашифрованная копия вне защищённого хранилища: "
        "храните его надёжно, передавайте только тем, на кого дал согласие пострадавший, и "
        "уничтожьте, когда он станет не нужен.",
        "kk": "Құпия. Бұл файл — қорғалған қоймадан тыс шифрланбаған көшірме: оны сенімді "
        "жерде сақтаңыз, зардап шеккен адам келісім берген адамдарға ғана беріңіз және қажеті "
        "болмаған кезде жойыңыз.",
    },
    "footer": {
        "en": "Confidential: case dossier",
        "ru": "Конфиденциально: досье по делу",
        "kk": "Құпия: іс бойынша досье",
    },
    "pseudonym": {"en": "Pseudonym", "ru": "Псевдоним", "kk": "Бүркеншік ат"},
    "case_id": {"en": "Case id", "ru": "Идентификатор дела", "kk": "Іс идентификаторы"},
    "conflict": {
        "en": "This case has {n} versions in conflict. This dossier shows the latest "
        "(revision {rev}); resolve the conflict before relying on it.",
        "ru": "У этого дела {n} версии в конфликте. Досье показывает последнюю (ревизия "
        "{rev}); разрешите конфликт, прежде чем на него опираться.",
        "kk": "Бұл істің қайшы келетін {n} нұсқасы бар. Досье соңғысын көрсетеді (ревизия "
        "{rev}); оған сүйенбес бұрын қайшылықты шешіңіз.",
    },
    "background": {"en": "1. Background", "ru": "1. Общие сведения", "kk": "1. Жалпы мәліметтер"},
    "allegations": {
        "en": "2. Allegations (in the person's words)",
        "ru": "2. Заявленные факты (со слов пострадавшего)",
        "kk": "2. Мәлімделген жағдайлар (зардап шеккен адамның сөзімен)",
    },
    "episodes": {
        "en": "3. Episodes of ill-treatment",
        "ru": "3. Эпизоды жестокого обращения",
        "kk": "3. Қатыгез қарым-қатынас эпизодтары",
    },
    "examinations": {
        "en": "4. Medical and psychological examinations",
        "ru": "4. Медицинские и психологические экспертизы",
        "kk": "4. Медициналық және психологиялық сараптамалар",
    },
    "legal": {
        "en": "5. Legal representation",
        "ru": "5. Юридическая помощь",
        "kk": "5. Заң көмегі",
    },  # fmt: skip
    "complaint": {
        "en": "6. Complaint and investigation",
        "ru": "6. Жалоба и расследование",
        "kk": "6. Шағым және тергеу",
    },
    "protection": {"en": "7. Protection", "ru": "7. Защита", "kk": "7. Қорғау"},
    "red_flags": {"en": "8. Red flags", "ru": "8. Тревожные признаки", "kk": "8. Қауіп белгілері"},
    "followup": {"en": "Follow-up tasks", "ru": "Дальнейшие действия", "kk": "Келесі әрекеттер"},
    "evidence": {"en": "Other evidence", "ru": "Другие доказательства", "kk": "Басқа дәлелдер"},
    "attachments": {"en": "Attachments", "ru": "Вложения", "kk": "Тіркемелер"},
    "att_name": {"en": "File", "ru": "Файл", "kk": "Файл"},
    "att_type": {"en": "Type", "ru": "Тип", "kk": "Түрі"},
    "att_size": {"en": "Size", "ru": "Размер", "kk": "Өлшемі"},
    "bytes": {"en": "bytes", "ru": "байт", "kk": "байт"},
    "record": {"en": "The record", "ru": "Сведения о записи", "kk": "Жазба туралы мәліметтер"},
    "revision": {"en": "Revision shown", "ru": "Показанная ревизия", "kk": "Көрсетілген ревизия"},
    "author": {
        "en": "Author device (fingerprint)",
        "ru": "Устройство автора (отпечаток ключа)",
        "kk": "Автордың құрылғысы (кілттің цифрлық ізі)",
    },
    "protocol": {"en": "Protocol", "ru": "Протокол", "kk": "Хаттама"},
    "revisions": {
        "en": "Revisions in history",
        "ru": "Ревизий в истории",
        "kk": "Тарихтағы ревизиялар",
    },  # fmt: skip
    "generated": {"en": "Generated", "ru": "Сформировано", "kk": "Жасалған уақыты"},
    "none_recorded": {"en": "Nothing recorded.", "ru": "Сведений нет.", "kk": "Мәлімет жоқ."},
    "no_red_flags": {"en": "None.", "ru": "Нет.", "kk": "Жоқ."},
    "no_attachments": {"en": "No attachments.", "ru": "Вложений нет.", "kk": "Тіркеме жоқ."},
}


def text(key: str, lang: str) -> str:
    """The dossier word `key` in `lang` (English when missing)."""
    entry = TEXT[key]
    return entry.get(lang) or entry["en"]
