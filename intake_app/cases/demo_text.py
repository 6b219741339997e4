"""Word lists and narrative templates for synthetic demo cases (Russian and Kazakh).

Every name here is invented; any resemblance to a real person is chance. The events, places
and methods follow the patterns the seeds report for January 2022.
"""

from __future__ import annotations

MALE_FIRST = (
    "Айдар", "Нұрлан", "Ерлан", "Қайрат", "Бауыржан", "Дәурен", "Асхат", "Ержан", "Мағжан",
    "Серік", "Ұлан", "Әли", "Жандос", "Санжар", "Алексей", "Иван", "Дмитрий", "Сергей",
    "Руслан", "Тимур", "Артём", "Олжас", "Ғалым", "Рүстем",
)  # fmt: skip
FEMALE_FIRST = (
    "Айгүл", "Гүлнар", "Әсел", "Жанар", "Динара", "Сәуле", "Мөлдір", "Аружан", "Мария",
    "Елена", "Ольга", "Анастасия",
)  # fmt: skip
SURNAMES = (
    "Сапаров", "Жұмабаев", "Ахметов", "Қасымов", "Омаров", "Нұрғалиев", "Төлеуов",
    "Есенов", "Бекмұханов", "Сейітов", "Смирнов", "Кузнецов", "Ибраимов", "Ким", "Павлов",
    "Әбдірахманов",
)  # fmt: skip
KYRGYZ_NAMES = (("Азамат", "Осмонов"), ("Бакыт", "Абдыкадыров"), ("Нурбек", "Токтогулов"),
                ("Эрмек", "Жумалиев"))  # fmt: skip

# Coalition profile (seeds/002): per city, (complaints, terminated investigations). The
# totals of cities given without "out of" are this generator's fixed choice; they sum to 190.
COALITION_CITIES: tuple[tuple[str, str, int, int], ...] = (
    ("kz.city.taraz", "TRZ", 33, 33),
    ("kz.city.almaty", "ALA", 46, 31),
    ("kz.city.kyzylorda", "KZO", 11, 11),
    ("kz.city.shymkent", "SHY", 14, 6),
    ("kz.city.ekibastuz", "EKB", 8, 6),
    ("kz.city.uralsk", "URA", 10, 6),
    ("kz.city.aktobe", "AKT", 9, 5),
    ("kz.city.kostanay", "KST", 7, 3),
    ("kz.city.ust_kamenogorsk", "UKA", 12, 1),
    ("kz.city.semey", "SEM", 6, 1),
    ("kz.city.karaganda", "KGF", 14, 1),
    ("kz.city.atyrau", "ATY", 9, 0),
    ("kz.city.taldykorgan", "TDK", 11, 0),
)
COALITION_MEN, COALITION_WOMEN, COALITION_MINORS = 178, 12, 13

CITY_NAMES = {
    "kz.city.taraz": ("Таразе", "Таразда"),
    "kz.city.almaty": ("Алматы", "Алматыда"),
    "kz.city.kyzylorda": ("Кызылорде", "Қызылордада"),
    "kz.city.shymkent": ("Шымкенте", "Шымкентте"),
    "kz.city.ekibastuz": ("Экибастузе", "Екібастұзда"),
    "kz.city.uralsk": ("Уральске", "Оралда"),
    "kz.city.aktobe": ("Актобе", "Ақтөбеде"),
    "kz.city.kostanay": ("Костанае", "Қостанайда"),
    "kz.city.ust_kamenogorsk": ("Усть-Каменогорске", "Өскеменде"),
    "kz.city.semey": ("Семее", "Семейде"),
    "kz.city.karaganda": ("Караганде", "Қарағандыда"),
    "kz.city.atyrau": ("Атырау", "Атырауда"),
    "kz.city.taldykorgan": ("Талдыкоргане", "Талдықорғанда"),
}

# place key -> (gazetteer detention type, protocol place type, Russian phrase, Kazakh phrase)
PLACES = {
    "police": ("kz.detention.police_department", "police_department", "в отдел полиции",
               "полиция бөліміне"),
    "ivs": ("kz.detention.ivs", "ivs", "в ИВС", "уақытша ұстау изоляторына"),
    "sizo": ("kz.detention.sizo", "sizo", "в СИЗО", "тергеу изоляторына"),
    "knb": ("kz.detention.knb_sizo", "sizo", "в СИЗО КНБ", "ҰҚК тергеу изоляторына"),
    "sports": ("kz.detention.unofficial", "unofficial", "в спорткомплекс «Динамо»",
               "«Динамо» спорт кешеніне"),
}  # fmt: skip

AGENCIES = {
    "police": ("сотрудники полиции", "полиция қызметкерлері"),
    "knb": ("сотрудники КНБ", "ҰҚК қызметкерлері"),
    "army": ("военнослужащие", "әскерилер"),
}

# method key -> (Russian clause, Kazakh clause)
METHODS = {
    "beating": ("избивали дубинками, руками и ногами", "таяқпен, жұдырықпен, аяқпен ұрды"),
    "electric_shock": ("пытали электрошокером", "электр тогымен азаптады"),
    "asphyxiation": ("трижды надевали на голову пакет до потери сознания",
                     "басыма үш рет пакет кигізді, есімнен тандым"),
    "positional": ("часами держали на коленях с руками за головой",
                   "сағаттап тізерлетіп, қолымды желкеме қойғызды"),
    "threat_death": ("угрожали убийством и расправой над семьёй",
                "өлтіреміз, отбасыңды жазалаймыз деп қорқытты"),
    "sexual_violence": ("угрожали сексуальным насилием", "жыныстық зорлықпен қорқытты"),
    "mock_execution": ("приставляли пистолет к голове и стреляли холостыми",
                       "басыма тапанша тіреп, бос оқпен атты"),
}  # fmt: skip

LANDMARKS = (
    ("площади Республики", "Республика алаңы"),
    ("акимата", "әкімдік"),
    ("своего дома", "үйім"),
    ("рынка", "базар"),
    ("автовокзала", "автовокзал"),
)

FAKES_RU = (" Когда речь зашла о жалобе, следователь пригрозил делом о распространении"
            " ложной информации.")  # fmt: skip
FAKES_KK = " Шағым жазамын дегенімде, тергеуші жалған ақпарат таратқаның үшін іс қозғаймын деді."


def narrative_ru(date: str, agency: str, landmark: int, place: str, methods: list[str],
                 city: str, fakes: bool) -> str:  # fmt: skip
    clauses = ", ".join(METHODS[m][0] for m in methods)
    text = (
        f"{date} меня задержали {AGENCIES[agency][0]} у {LANDMARKS[landmark][0]} в "
        f"{CITY_NAMES[city][0]}. Отвезли {PLACES[place][2]}, где {clauses}. Требовали "
        "признаться в участии в массовых беспорядках и подписать показания."
    )
    return text + (FAKES_RU if fakes else "")


def narrative_kk(date: str, agency: str, landmark: int, place: str, methods: list[str],
                 city: str, fakes: bool) -> str:  # fmt: skip
    clauses = ", ".join(METHODS[m][1] for m in methods)
    text = (
        f"{date} күні {CITY_NAMES[city][1]} {LANDMARKS[landmark][1]} маңында мені "
        f"{AGENCIES[agency][1]} ұстады. {PLACES[place][3].capitalize()} апарып, {clauses}. "
        "Жаппай тәртіпсіздіктерге қатыстым деп мойындауымды, жауап хатқа қол қоюымды "
        "талап етті."
    )
    return text + (FAKES_KK if fakes else "")
