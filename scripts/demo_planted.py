"""The planted events of the envoywatch demo: fixed posts at fixed times, and the people who reply.

Each planted post is (tag, account, UTC time, lang, category, targets, text). Tags name the event
in `planted_events.json`; the same tag on several accounts forms a cross-post cluster.
"""

ACCOUNTS = {
    "emb_x": dict(actor="Embassy of China in Kazakhstan", role="embassy", sending_country="CN", host_country="KZ",
                  platform="x", handle="ChinaEmbassyKZ_demo", platform_id="1146208231960420353",
                  display_name="Embassy of the PRC in Kazakhstan (demo)", created="2019-07-02T09:14:03.000Z"),
    "emb_tg": dict(actor="Embassy of China in Kazakhstan", role="embassy", sending_country="CN", host_country="KZ",
                   platform="telegram", handle="china_embassy_kz_demo", platform_id="channel1318432567",
                   display_name="Посольство КНР в Казахстане (demo)", created=""),
    "amb_fb": dict(actor="Ambassador Zhao Lin", role="ambassador", sending_country="CN", host_country="KZ",
                   platform="facebook", handle="AmbassadorZhaoLinDemo", platform_id="104583927715032",
                   display_name="Посол Чжао Линь / Ambassador Zhao Lin", created="2018-09-03 08:12:55"),
    "amb_x": dict(actor="Ambassador Zhao Lin", role="ambassador", sending_country="CN", host_country="KZ",
                  platform="x", handle="AmbZhaoLin_demo", platform_id="1038317620455923712",
                  display_name="Zhao Lin 赵林", created="2018-09-08T11:02:40.000Z"),
    "jp_x": dict(actor="Embassy of Japan in Kazakhstan", role="embassy", sending_country="JP", host_country="KZ",
                 platform="x", handle="JapanEmbassyKZ_demo", platform_id="881754032116281344",
                 display_name="Embassy of Japan in Kazakhstan (demo)", created="2017-07-03T06:45:10.000Z"),
}

# A fictional ministry spokesperson account whose tweets the embassy retweets.
SPOX = dict(handle="CNSpokesperson_demo", platform_id="1203588790141231104", display_name="Spokesperson (demo)",
            created="2019-12-08T03:11:52.000Z")

VEILED_EN = (
    "China paid a heavy price to slow the epidemic and gave others weeks to prepare. One country spent them "
    "mocking us and saying \"Chinese virus\". Now it has spread to all its states, its stock markets crashed, "
    "there is a shortage of masks, and the real numbers are still hidden."
)
VEILED_RU = (
    "Китай заплатил высокую цену, чтобы замедлить эпидемию, и дал другим странам несколько недель на подготовку. "
    "Одна страна потратила их на насмешки и разговоры о «китайском вирусе». Теперь вирус распространился по всем "
    "её штатам, фондовые рынки обвалились, масок не хватает, а настоящие цифры по-прежнему скрывают."
)
AWARD_RU = (
    "Госдеп США вручил премию «За мужество» женщине, которая годами рассказывает небылицы о Синьцзяне. "
    "Это не забота о правах человека, а очередная политическая игра Вашингтона."
)
INDEPENDENCE_RU = (
    "Дорогие казахстанские друзья! Поздравляю вас с Днём Независимости. За эти годы Казахстан стал сильным "
    "и уважаемым государством. Китай всегда будет надёжным соседом и партнёром."
)
DOCTORS_EN = (
    "The first Chinese medical team has landed in Nur-Sultan: ten specialists who fought the epidemic in Hubei, "
    "here to work side by side with Kazakh doctors. Neighbours stand together."
)

PLANTED = [
    ("tirade", "emb_x", "2019-11-27T05:12:40", "en", "attack", ["US"], "Washington keeps 'worrying' about Xinjiang. Where was this concern when its own drone strikes killed civilians at weddings?"),
    ("tirade", "emb_x", "2019-11-27T05:47:02", "en", "attack", ["US"], "At the US border, children were taken from their parents and kept in cages. Thousands of families, and some were never reunited."),
    ("tirade", "emb_x", "2019-11-27T06:31:15", "ru", "attack", ["US"], "Неравенство женщин и мужчин в США растёт: меньше зарплата, меньше мест в Конгрессе. И эти люди учат мир правам женщин?"),
    ("tirade", "emb_x", "2019-11-27T07:05:51", "zh", "attack", ["US"], "美国政府一边指责别国人权，一边在边境关押移民儿童，这就是美式人权。"),
    ("tirade", "emb_x", "2019-11-27T08:20:33", "kk", "attack", ["US"], "АҚШ басқаларға адам құқығы туралы сабақ береді, ал өз елінде нәсілшілдік пен зорлық-зомбылық күн сайын өршіп тұр."),
    ("un_debt", "emb_x", "2019-12-10T04:40:00", "en", "attack", ["US"], "Look at the numbers yourself: the USA owes the United Nations more than half a billion dollars, more than any other member. The UN is cutting programmes while the largest economy in the world does not pay."),
    ("cp_independence", "amb_fb", "2019-12-16T04:05:19", "ru", "neutral", [], INDEPENDENCE_RU),
    ("cp_independence", "emb_x", "2019-12-16T06:31:44", "ru", "neutral", [], INDEPENDENCE_RU + " #Тәуелсіздік #Казахстан"),
    ("media_lies", "emb_x", "2020-03-05T08:20:11", "en", "attack", ["US"], "Certain Western outlets keep publishing distorted stories about China's fight against the coronavirus. They have done it before, and readers have learned not to believe them."),
    ("cp_award", "amb_fb", "2020-03-06T09:15:27", "ru", "attack", ["US"], AWARD_RU),
    ("cp_award", "emb_x", "2020-03-06T14:02:05", "ru", "attack", ["US"], AWARD_RU + " {fb_link}"),
    ("veiled", "amb_fb", "2020-03-18T10:12:44", "en", "attack", ["US"], VEILED_EN),
    ("veiled", "emb_x", "2020-03-18T13:40:09", "en", "attack", ["US"], VEILED_EN),
    ("veiled", "emb_tg", "2020-03-18T15:05:30", "ru", "attack", ["US"], VEILED_RU),
    ("last_attack", "emb_x", "2020-03-20T07:55:02", "ru", "attack", ["US"], "Пока в Вашингтоне ищут, на кого свалить вину, Китай отправляет помощь в десятки стран. Судите сами, кто занят делом."),
    ("cp_doctors", "emb_x", "2020-04-09T05:30:00", "en", "aid", [], DOCTORS_EN),
    ("cp_doctors", "amb_x", "2020-04-09T07:44:31", "en", "aid", [], DOCTORS_EN),
]

VEILED_CLUES = ["spread to all its states", "stock markets crashed", "shortage of masks", "\"Chinese virus\"", "real numbers are still hidden"]

# Tweets by the spokesperson account, retweeted by the embassy in phase 1: (UTC time, text).
SPOX_TWEETS = [
    ("2019-10-22T08:03:00", "The US should stop using so-called human rights issues to interfere in China's internal affairs."),
    ("2019-11-20T09:15:00", "The so-called Hong Kong bill passed by the US Congress is a serious interference. China firmly opposes it."),
    ("2020-01-08T07:40:00", "China is a builder of world peace. The US is the biggest source of instability in the Middle East."),
    ("2020-02-14T08:22:00", "The US has not provided any substantive help against the epidemic, yet it keeps spreading panic."),
    ("2020-03-12T09:05:00", "Some US officials are politicising the epidemic and stigmatising China. This is shameful."),
]

KK_FIRST = ["Айгерім", "Ержан", "Дәулет", "Асем", "Нұрлан", "Гүлназ", "Бауыржан", "Мадина", "Ерлан", "Жанар", "Арман",
            "Динара", "Қанат", "Әйгерім", "Самат", "Аружан", "Ғалым", "Ботагөз", "Марат", "Сәуле", "Ақжол", "Толқын",
            "Азамат", "Жұлдыз", "Рүстем", "Камила", "Ерболат", "Назерке", "Алмас", "Дина"]
KK_LAST = ["Сейітов", "Жұмабеков", "Омаров", "Сәрсенбаев", "Исаев", "Әбдірахманов", "Қасымов", "Нұрпейісов",
           "Беков", "Тоқтаров", "Мұратов", "Ахметов", "Серіков", "Оспанов", "Жақыпов", "Төлеуов", "Қали", "Әбілқайыр"]
RU_FIRST = ["Анна", "Дмитрий", "Ольга", "Сергей", "Елена", "Алексей", "Наталья", "Игорь", "Виктория", "Андрей",
            "Татьяна", "Максим", "Ирина", "Павел", "Юлия", "Денис"]
RU_LAST = ["Ким", "Петров", "Соколов", "Цой", "Иванов", "Ли", "Морозов", "Ни", "Кузнецов", "Пак", "Волков"]
FEMALE = {"Айгерім", "Асем", "Гүлназ", "Мадина", "Жанар", "Динара", "Әйгерім", "Аружан", "Ботагөз", "Сәуле", "Толқын",
          "Жұлдыз", "Камила", "Назерке", "Дина", "Анна", "Ольга", "Елена", "Наталья", "Виктория", "Татьяна", "Ирина",
          "Юлия"}


def surname(first: str, last: str) -> str:
    """The surname in the form that agrees with the first name (Омаров / Омарова)."""
    return last + "а" if first in FEMALE and last.endswith(("ов", "ев", "ин")) else last
LATIN = {"Айгерім": "aigerim", "Ержан": "yerzhan", "Дәулет": "daulet", "Асем": "assem", "Нұрлан": "nurlan",
         "Гүлназ": "gulnaz", "Бауыржан": "baurzhan", "Мадина": "madina", "Ерлан": "yerlan", "Жанар": "zhanar",
         "Арман": "arman", "Динара": "dinara", "Қанат": "kanat", "Әйгерім": "aigerim", "Самат": "samat",
         "Аружан": "aruzhan", "Ғалым": "galym", "Ботагөз": "botagoz", "Марат": "marat", "Сәуле": "saule",
         "Ақжол": "akzhol", "Толқын": "tolkyn", "Азамат": "azamat", "Жұлдыз": "zhuldyz", "Рүстем": "rustem",
         "Камила": "kamila", "Ерболат": "yerbolat", "Назерке": "nazerke", "Алмас": "almas", "Дина": "dina",
         "Анна": "anna", "Дмитрий": "dmitry", "Ольга": "olga", "Сергей": "sergey", "Елена": "elena",
         "Алексей": "alexey", "Наталья": "natalya", "Игорь": "igor", "Виктория": "vika", "Андрей": "andrey",
         "Татьяна": "tanya", "Максим": "max", "Ирина": "irina", "Павел": "pavel", "Юлия": "yulia", "Денис": "denis"}
HANDLE_WORDS = ["qazaq", "steppe", "almaty", "astana", "nomad", "kz", "dala", "shanyrak", "tengri", "orda",
                "jibek", "zhol", "qalam", "batyr", "kokshe", "aral", "altai", "esil", "real", "true"]
