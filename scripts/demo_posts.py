"""Hand-written post material for the envoywatch demo, one list per account and phase.

Each entry is (lang, category, targets, text). Categories: attack (hostile to `targets`),
neutral, bilateral, covid (updates from China), aid. Planted posts live in `demo_planted.py`.
"""

US = ["US"]

EMBASSY_X_PHASE1 = [
    ("en", "attack", US, "The United States still owes the UN regular budget hundreds of millions of dollars. The richest member lectures everyone on rules and does not pay its bills."),
    ("ru", "attack", US, "США остаются крупнейшим должником ООН. Организация вынуждена сокращать программы, пока Вашингтон рассуждает о «порядке, основанном на правилах»."),
    ("en", "attack", US, "Children separated from their parents at the US southern border, some still not reunited. This is the 'human rights model' Washington wants to export."),
    ("ru", "attack", US, "Детей разлучали с родителями на границе США с Мексикой. И эта страна учит других правам человека?"),
    ("en", "attack", US, "Women in the US earn less than men for the same work, and the gap is not closing. Perhaps the State Department should read its own statistics before judging others."),
    ("zh", "attack", US, "美国枪支暴力事件频发，每年数万人因此丧生。美方却热衷于对别国人权状况指手画脚。"),
    ("zh", "attack", US, "美国一些政客罔顾事实，炒作涉疆问题，其真实目的是遏制中国发展。"),
    ("en", "attack", US, "Xinjiang has not seen a terrorist attack in three years. The vocational centres are the reason. Washington's 'concern' is about containing China, not about Uyghurs."),
    ("ru", "attack", US, "Так называемый «законопроект о Синьцзяне», принятый в Вашингтоне, — грубое вмешательство во внутренние дела Китая."),
    ("kk", "attack", US, "АҚШ-тың кейбір саясаткерлері Шыңжаң туралы өтірік таратуда. Шындықты өз көзіңізбен көріңіз."),
    ("kk", "attack", US, "АҚШ БҰҰ алдындағы қарызын әлі өтеген жоқ. Әлемдегі ең бай мемлекет ең ірі борышкер болып отыр."),
    ("en", "attack", US, "Western media rarely let facts get in the way of a story about China. Their coverage of Xinjiang is a textbook case of bias."),
    ("ru", "attack", US, "Американские СМИ снова публикуют фейки о Китае. Удивляться нечему: правда им неинтересна."),
    ("en", "attack", US, "The White House imposes tariffs, then wonders why American farmers are struggling. Trade wars have no winners."),
    ("ru", "attack", US, "Торговая война, развязанная Белым домом, бьёт прежде всего по американским потребителям."),
    ("zh", "attack", US, "美方滥用国家力量打压华为，这是赤裸裸的经济霸凌。"),
    ("en", "attack", US, "Washington bans Huawei without a shred of evidence and calls it 'security'. The real concern is losing the 5G race."),
    ("ru", "attack", US, "Госдеп опять выпустил доклад о правах человека в Китае. Может, начать с полицейского насилия у себя дома?"),
    ("en", "attack", US, "Hong Kong is part of China. The US Congress has no business passing laws about it."),
    ("zh", "attack", US, "美国国会通过所谓涉港法案，严重干涉中国内政，中方坚决反对。"),
    ("kk", "attack", US, "Вашингтон Гонконгтағы тәртіпсіздіктерді қолдап отыр. Бұл — Қытайдың ішкі ісіне ашық араласу."),
    ("en", "attack", US, "Over 500,000 homeless people in the United States. Perhaps Washington should fix that before lecturing the world."),
    ("ru", "attack", US, "В США почти каждый день происходят массовые расстрелы. А Вашингтон беспокоится о правах человека в Китае."),
    ("zh", "attack", US, "美国长期拖欠联合国会费，却要求别国遵守规则。"),
    ("en", "attack", US, "Opioid crisis, medical bills, gun deaths: the American 'dream' looks different up close."),
    ("ru", "attack", US, "Вашингтон использует тему Синьцзяна как инструмент давления. Казахстанцы могут сами приехать и увидеть правду."),
    ("kk", "attack", US, "Батыс БАҚ-тары Қытай туралы бір жақты жазады. Олардың мақсаты — екі халықты араздастыру."),
    ("en", "attack", US, "Pompeo's tour of Central Asia was about one thing: turning neighbours against China. It will not work."),
    ("ru", "attack", US, "Визит госсекретаря США в регион преследовал одну цель — поссорить Центральную Азию с Китаем."),
    ("zh", "attack", US, "美国在中亚散布涉华谣言，挑拨地区国家与中国关系，注定不会得逞。"),
    ("en", "attack", US, "When the US sneezes at China, its own media call it 'values'. When China answers, they call it 'propaganda'."),
    ("ru", "attack", US, "Американские политики называют вирус «уханьским». Это стигматизация, которую осуждает ВОЗ.", "2020-03-02"),
    ("ru", "attack", ["GB"], "Лондону стоит вспомнить, как он сам управлял Гонконгом полтора века, прежде чем давать советы."),
    ("en", "attack", ["GB"], "The UK lost Hong Kong in 1997. Some in London still have not accepted it."),
    ("en", "attack", ["CA"], "Canada detained a Chinese citizen at Washington's request. Ottawa should ask itself whose interests it serves."),
    ("ru", "attack", ["CA"], "Оттава действует по указке Вашингтона, задерживая гражданку Китая без оснований."),
]

EMBASSY_X_NEUTRAL = [
    ("en", "neutral", [], "The consular section will be closed on {date_en} for a public holiday. Emergencies: +7 7172 000 000."),
    ("ru", "neutral", [], "Уважаемые посетители! {date_ru} консульский отдел не работает в связи с праздником."),
    ("zh", "neutral", [], "温馨提示：{date_zh}使馆领事部对外办公暂停一天，急事请拨打值班电话。"),
    ("kk", "neutral", [], "Құрметті азаматтар! {date_kk} консулдық бөлім мерекеге байланысты жұмыс істемейді."),
    ("en", "neutral", [], "Applications for the Chinese Government Scholarship 2020/21 are open. Deadline: {date_en}."),
    ("ru", "neutral", [], "Открыт приём заявок на стипендию Правительства КНР. Подробности на сайте посольства."),
    ("kk", "neutral", [], "Қытай үкіметінің стипендиясына өтінім қабылдау басталды. Толығырақ — елшілік сайтында."),
    ("zh", "neutral", [], "2020年“汉语桥”中文比赛哈萨克斯坦赛区报名开始啦！"),
    ("ru", "neutral", [], "В Нур-Султане прошёл отборочный тур конкурса «Мост китайского языка». Поздравляем победителей!"),
    ("en", "neutral", [], "70 years of the People's Republic of China! Thank you to all our friends in Kazakhstan who celebrated with us.", "2019-10-01"),
    ("zh", "neutral", [], "热烈庆祝中华人民共和国成立70周年！", "2019-10-01"),
    ("ru", "neutral", [], "С Днём Республики, дорогие казахстанские друзья!", "2019-10-25"),
    ("kk", "neutral", [], "Қазақстан халқын Тәуелсіздік күнімен шын жүректен құттықтаймыз!", "2019-12-16"),
    ("en", "neutral", [], "Happy New Year 2020 to all our friends in Kazakhstan!", "2019-12-31"),
    ("zh", "neutral", [], "鼠年大吉！祝在哈同胞和哈萨克斯坦朋友们春节快乐！", "2020-01-24"),
    ("ru", "neutral", [], "Поздравляем с Праздником весны! Пусть год Крысы принесёт удачу.", "2020-01-25"),
    ("kk", "neutral", [], "Көктем мерекесі құтты болсын! Егеуқұйрық жылы береке әкелсін.", "2020-01-25"),
    ("en", "neutral", [], "Photo exhibition 'China through the lens' opens at the National Museum on {date_en}. Free entry."),
    ("ru", "neutral", [], "Приглашаем на кинопоказ китайских фильмов в Алматы. Вход свободный."),
    ("zh", "neutral", [], "使馆举办中国电影周活动，欢迎大家参加。"),
    ("en", "neutral", [], "Visa fees for Kazakh citizens remain unchanged in 2020. Please check the list of documents before applying."),
    ("ru", "neutral", [], "Напоминаем: визовые анкеты принимаются только в электронном виде."),
]

EMBASSY_X_COVID = [
    ("en", "covid", [], "Update from Hubei: new confirmed cases fell for the {n}th day in a row. Thank you for your support, friends in Kazakhstan."),
    ("ru", "covid", [], "В Ухане выписаны ещё {n} пациентов. Спасибо всем, кто поддерживает Китай в эти дни."),
    ("zh", "covid", [], "截至今日，全国累计治愈出院病例超过{n}例。武汉加油！中国加油！"),
    ("kk", "covid", [], "Қытайда жаңа жұқтыру жағдайлары азайып келеді. Қолдауларыңызға рахмет!"),
    ("en", "covid", [], "China has shared the full genome sequence and its treatment guidelines with the WHO and all partners."),
    ("ru", "covid", [], "Китай сообщает: строительство второй временной больницы в Ухане завершено за {n} дней."),
]

BILATERAL = [
    ("en", "bilateral", [], "China-Kazakhstan trade reached a new record last year. Kazakh wheat, honey and beef are increasingly popular with Chinese consumers."),
    ("ru", "bilateral", [], "Через Хоргос в Китай отправлен очередной состав с казахстанским зерном. Сотрудничество развивается!"),
    ("kk", "bilateral", [], "Қорғас арқылы Қытайға қазақстандық бидай тиелген тағы бір пойыз аттанды."),
    ("zh", "bilateral", [], "中哈产能合作项目进展顺利，为当地创造了大量就业岗位。"),
    ("en", "bilateral", [], "The Zhanatas wind farm, built with Chinese partners, will power tens of thousands of Kazakh homes."),
    ("ru", "bilateral", [], "Ветряная электростанция в Жанатасе — пример зелёного партнёрства Китая и Казахстана."),
    ("kk", "bilateral", [], "Белдеу мен жол бастамасы мен «Нұрлы жол» бағдарламасы бір-бірін толықтырады."),
    ("zh", "bilateral", [], "“一带一路”倡议与“光明之路”新经济政策对接不断深化。"),
    ("en", "bilateral", [], "More than 14,000 young people from Kazakhstan study in China. They are the future of our friendship."),
    ("ru", "bilateral", [], "В Китае учатся более 14 тысяч казахстанских студентов. Это мост между нашими народами."),
    ("kk", "bilateral", [], "Абайдың 175 жылдығына арналған кеш Бейжіңде өтті. Ұлы ақынның сөзі қытай тілінде де жаңғырды."),
    ("ru", "bilateral", [], "Переводы Абая на китайский язык представлены в Пекине к 175-летию поэта."),
    ("en", "bilateral", [], "Chinese and Kazakh doctors held a video conference to share experience in treating COVID-19 patients."),
    ("ru", "bilateral", [], "Специалисты Китая и Казахстана провели видеоконференцию по лечению коронавирусной инфекции."),
    ("zh", "bilateral", [], "中哈两国医疗专家举行视频会议，交流新冠肺炎诊疗经验。"),
    ("en", "bilateral", [], "Trucks are crossing the Khorgos and Nur Zholy checkpoints again, with new safety rules for drivers."),
    ("ru", "bilateral", [], "Грузовое сообщение через КПП «Нур Жолы» возобновлено с соблюдением санитарных мер."),
    ("kk", "bilateral", [], "Шекарадағы жүк тасымалы қайта басталды. Жүргізушілерге арнайы санитарлық талаптар қойылды."),
    ("en", "bilateral", [], "Kazakh honey and flaxseed oil now sell online to Chinese buyers. A small product, a big market."),
    ("ru", "bilateral", [], "Казахстанская говядина получила доступ на китайский рынок. Поздравляем фермеров!"),
    ("zh", "bilateral", [], "哈萨克斯坦牛肉首次对华出口，中哈农业合作再添新成果。"),
    ("kk", "bilateral", [], "Қазақстан мен Қытай жастары арасындағы онлайн мәдени апталық басталды."),
    ("en", "bilateral", [], "Our two presidents spoke by phone and agreed to deepen cooperation in health, trade and connectivity."),
    ("ru", "bilateral", [], "Главы государств Китая и Казахстана провели телефонный разговор о совместной борьбе с пандемией."),
    ("zh", "bilateral", [], "两国元首通电话，一致同意加强抗疫合作，推动两国关系持续发展。"),
    ("en", "bilateral", [], "The China-Europe rail freight through Kazakhstan keeps running during the pandemic: {n} trains this month."),
    ("ru", "bilateral", [], "Транзит грузов из Китая в Европу через Казахстан вырос, несмотря на пандемию: {n} поездов за месяц."),
    ("kk", "bilateral", [], "Қытайлық және қазақстандық студенттер онлайн тіл клубында кездесті."),
    ("en", "bilateral", [], "A Kazakh dombra concert was streamed to audiences in Xi'an and Urumqi. Music needs no visa."),
    ("zh", "bilateral", [], "哈萨克斯坦冬不拉音乐会在西安线上播出，受到观众热烈欢迎。"),
]

AID = [
    ("en", "aid", [], "A new batch of medical supplies from China arrived in Nur-Sultan today: {n} test kits, masks and protective suits."),
    ("ru", "aid", [], "В Нур-Султан доставлена очередная партия медицинской помощи из Китая: {n} тест-систем, маски и защитные костюмы."),
    ("kk", "aid", [], "Қытайдан Нұр-Сұлтанға медициналық көмектің кезекті легі жетті: {n} тест жинағы, маскалар мен қорғаныс киімдері."),
    ("zh", "aid", [], "中国援助哈萨克斯坦的又一批抗疫物资今日运抵努尔苏丹。"),
    ("en", "aid", [], "A team of Chinese doctors has arrived in Kazakhstan to work side by side with local colleagues."),
    ("ru", "aid", [], "Китайские врачи прибыли в Казахстан, чтобы поделиться опытом борьбы с COVID-19."),
    ("kk", "aid", [], "Қытай дәрігерлері қазақстандық әріптестерімен тәжірибе алмасу үшін келді."),
    ("zh", "aid", [], "中国援哈医疗专家组抵达阿拉木图，将与当地同行并肩抗疫。"),
    ("en", "aid", [], "Chinese companies in Kazakhstan donated ventilators and {n} masks to hospitals in Almaty and Shymkent."),
    ("ru", "aid", [], "Китайские компании в Казахстане передали больницам Алматы и Шымкента аппараты ИВЛ и {n} масок."),
    ("kk", "aid", [], "Қытай компаниялары Шымкент ауруханаларына өкпені жасанды желдету аппараттарын сыйға тартты."),
    ("en", "aid", [], "When China needed help in January, Kazakhstan sent supplies. Now we stand together with our neighbours."),
    ("ru", "aid", [], "В январе Казахстан помог Китаю. Теперь наша очередь: друзья познаются в беде."),
    ("kk", "aid", [], "Досың қиналғанда қасында бол дейді. Қытай мен Қазақстан бірге!"),
]

AMBASSADOR_X_PHASE1 = [
    ("en", "attack", US, "Washington talks about freedom of speech while its platforms silence anyone with a different view of China."),
    ("zh", "attack", US, "美方一些人总是戴着有色眼镜看中国，这是冷战思维的体现。"),
    ("ru", "attack", US, "Вашингтону стоит заняться своими проблемами: долгами, оружием, расизмом."),
    ("en", "attack", US, "The State Department's annual report on China is written before anyone visits China."),
    ("ru", "attack", US, "Американская пропаганда о Синьцзяне рассчитана на тех, кто там никогда не был."),
    ("en", "attack", US, "US politicians call our virus response 'secretive' while their own CDC cannot say how many people were tested."),
    ("zh", "attack", US, "美国政客对中国抗疫努力说三道四，却不反思自身应对迟缓。"),
    ("en", "attack", ["GB"], "British politicians should stop treating Hong Kong as if it were still a colony."),
]

AMBASSADOR_X_ROUTINE = [
    ("ru", "bilateral", [], "Встретился с {official}. Обсудили {topic}."),
    ("en", "bilateral", [], "Met {official_en} today. We discussed {topic_en}."),
    ("zh", "bilateral", [], "会见{official_zh}，就{topic_zh}交换意见。"),
    ("ru", "neutral", [], "Посетил {place}. Благодарю хозяев за тёплый приём."),
    ("en", "neutral", [], "Visited {place_en} today. Grateful for the warm welcome."),
    ("kk", "neutral", [], "Бүгін {place_kk} болдым. Жылы қабылдағандарыңызға рахмет!"),
]

AMBASSADOR_FB_PHASE1 = [
    ("ru", "attack", US, "Друзья, многие спрашивают о Синьцзяне. Отвечу прямо: то, что пишут американские СМИ, не имеет отношения к действительности. Приглашаю журналистов из Казахстана приехать и увидеть всё своими глазами."),
    ("ru", "attack", US, "США задолжали ООН больше, чем любая другая страна. Об этом редко пишут, а ведь это показательно: правила хороши для других, но не для себя."),
    ("en", "attack", US, "Every year the US spends more on weapons than the next ten countries combined, then calls others a threat. Let the numbers speak."),
    ("ru", "attack", US, "Вашингтон говорит о свободе, но детей мигрантов держат в клетках. Двойные стандарты налицо."),
    ("kk", "attack", US, "Американдық БАҚ Қытай туралы жалған ақпарат таратуды тоқтатпай келеді. Қазақстандық достарым, ақпаратты тексеріп оқыңыздар."),
    ("ru", "attack", US, "Американские политики используют эпидемию, чтобы очернить Китай. Это безответственно и бесчеловечно."),
    ("en", "attack", US, "Some in Washington were quick to call our quarantine 'draconian'. Now they are quiet."),
    ("ru", "attack", ["GB"], "Некоторые британские газеты пишут о Гонконге так, будто на дворе XIX век."),
]

AMBASSADOR_FB_ROUTINE = [
    ("ru", "bilateral", [], "Сегодня встретился с {official}. Мы обсудили {topic}. Уверен, впереди у нас много совместной работы."),
    ("ru", "neutral", [], "Побывал в {place_pr}. Удивительные люди, удивительная земля. Спасибо за гостеприимство!"),
    ("kk", "neutral", [], "Қымбатты достар! Бүгін {place_kk} болдым. Қазақ халқының қонақжайлығына тағы да тәнті болдым."),
    ("en", "bilateral", [], "Productive meeting with {official_en} on {topic_en}. China and Kazakhstan are permanent comprehensive strategic partners."),
    ("ru", "neutral", [], "Учу казахский язык уже полгода. Сегодняшнее слово: «{word}». Рахмет, ұстазым!"),
    ("ru", "bilateral", [], "Провели онлайн-встречу с казахстанскими студентами, которые учатся в Китае. Ребята, держитесь, мы рядом!"),
]

TELEGRAM_PHASE1 = [
    ("ru", "attack", US, "США — крупнейший должник ООН. Вот так выглядит «ответственная держава»."),
    ("ru", "attack", US, "Американские СМИ снова распространяют ложь о Синьцзяне. Факты — в нашем видео."),
    ("ru", "attack", US, "Вашингтон ввёл новые пошлины на китайские товары. Кто за это заплатит? Американские семьи."),
    ("ru", "attack", US, "Госдеп опять «обеспокоен» правами человека в Китае. Лучше бы обеспокоился ситуацией на своей границе."),
    ("ru", "attack", US, "Что скрывают американские политики, называя вирус «китайским»? Собственную неготовность."),
    ("ru", "attack", US, "Белый дом давит на Huawei. Но технологии силой не остановить."),
    ("ru", "attack", US, "Западные СМИ предвзято освещают события в Гонконге. Разбираемся, где правда."),
    ("ru", "attack", US, "В США каждый год от огнестрельного оружия гибнут десятки тысяч людей. Вот о чём стоит говорить правозащитникам."),
    ("ru", "attack", ["GB"], "Британия снова комментирует Гонконг. Напоминаем: колониальная эпоха закончилась."),
]

TELEGRAM_ROUTINE = [
    ("ru", "neutral", [], "Консульский отдел не работает {date_ru}. Экстренная связь — по телефону дежурного."),
    ("ru", "neutral", [], "Открыт набор на курсы китайского языка при Институте Конфуция."),
    ("ru", "neutral", [], "Праздник весны в Нур-Султане: фото с концерта."),
    ("ru", "covid", [], "Ситуация в Ухане: выписано ещё {n} пациентов."),
    ("ru", "covid", [], "Ответы на частые вопросы о въезде в Китай в период эпидемии."),
    ("ru", "bilateral", [], "Казахстанский мёд и подсолнечное масло всё популярнее в Китае."),
    ("ru", "bilateral", [], "Через Казахстан в Европу прошло {n} контейнерных поездов с начала года."),
    ("ru", "bilateral", [], "Посол Чжао Линь встретился с {official}. Обсуждались {topic}."),
    ("ru", "aid", [], "Помощь из Китая прибыла в Алматы: {n} масок, тесты, защитные костюмы."),
    ("ru", "aid", [], "Китайские медики прибыли в Казахстан. Вместе мы справимся!"),
    ("ru", "bilateral", [], "Онлайн-выставка «Шёлковый путь: Казахстан и Китай» открыта. Ссылка в описании."),
    ("ru", "bilateral", [], "Студенты из Казахстана рассказывают о жизни в Ухане во время карантина."),
]

TELEGRAM_EXTRA = [
    ("ru", "neutral", [], "Как оформить визу для учёбы в Китае: пошаговая инструкция."),
    ("ru", "neutral", [], "Фоторепортаж: китайский Новый год в Алматы, драконы и фонарики."),
    ("ru", "covid", [], "Китай передал ВОЗ данные о новом коронавирусе. Подробности — в заявлении МИД."),
    ("ru", "neutral", [], "Приглашаем на день открытых дверей в Институте Конфуция {date_ru}."),
    ("ru", "bilateral", [], "Казахстанские школьники победили в олимпиаде по китайскому языку. Поздравляем!"),
    ("ru", "covid", [], "Карантин в Хубэе: как живут казахстанские студенты? Рассказывают сами ребята."),
]

TELEGRAM_PHASE2 = [
    ("ru", "bilateral", [], "Видеомост врачей Китая и Казахстана: главное за два часа разговора."),
    ("ru", "aid", [], "Китайские компании в Казахстане передали больницам Шымкента {n} масок."),
    ("ru", "bilateral", [], "Абаю — 175 лет. Вспоминаем, как его стихи звучат по-китайски."),
    ("ru", "bilateral", [], "Торговля через Хоргос восстанавливается: за неделю прошло {n} грузовиков."),
    ("ru", "bilateral", [], "«Один пояс, один путь» в Казахстане: что строится несмотря на пандемию."),
    ("ru", "aid", [], "Ответы китайских врачей на вопросы казахстанцев: маски, перчатки, дезинфекция."),
    ("ru", "bilateral", [], "Казахстанская пшеница снова едет в Китай по железной дороге."),
]

JAPAN_X = [
    ("ru", "culture", [], "В Алматы прошёл фестиваль японской культуры. Спасибо всем, кто пришёл!"),
    ("en", "culture", [], "The Japanese Speech Contest in Kazakhstan is back. Register by {date_en}."),
    ("kk", "culture", [], "Жапон тілі олимпиадасының жеңімпаздарын құттықтаймыз!"),
    ("ru", "grant", [], "Посольство Японии передало оборудование сельской больнице в {region} по программе грантов «Кусаноне»."),
    ("en", "grant", [], "Grant Assistance for Grassroots Projects: a new school bus for a village in {region_en}."),
    ("kk", "grant", [], "«Кусаноне» гранты аясында {region_kk} ауылдық мектебіне жаңа жабдық тапсырылды."),
    ("ru", "education", [], "Открыт приём документов на стипендию MEXT на 2021 год."),
    ("en", "education", [], "Information session on studying in Japan, online this Thursday."),
    ("ru", "neutral", [], "Поздравляем с Днём Независимости Республики Казахстан!", "2019-12-16"),
    ("kk", "neutral", [], "Наурыз мейрамы құтты болсын!", "2020-03-22"),
    ("en", "neutral", [], "Happy Nauryz to all our friends in Kazakhstan!", "2020-03-21"),
    ("ru", "neutral", [], "Сакура в Нур-Султане зацвела! Фото из сквера дружбы.", "2020-05-08"),
    ("en", "covid", [], "Japan provides emergency grant aid to Kazakhstan to fight COVID-19 through UNICEF and WHO."),
    ("ru", "covid", [], "Япония выделила Казахстану средства на закупку медицинского оборудования через ПРООН."),
    ("kk", "covid", [], "Жапония Қазақстанға індетпен күресуге гранттық көмек көрсетті."),
    ("ru", "culture", [], "Мастер-класс по оригами для детей в библиотеке Алматы. Приходите!"),
    ("en", "culture", [], "Japanese film week in Nur-Sultan: five films, free entry, subtitles in Russian."),
    ("ru", "neutral", [], "Посол Японии посетил {region} и встретился с руководством области."),
    ("en", "neutral", [], "Ambassador's visit to {region_en}: meetings on agriculture and water management."),
    ("kk", "culture", [], "Жапон шай рәсімі бойынша шеберлік сабағы өтті."),
]

# Slot values for the routine posts above.
SLOTS = {
    "official": ["министром торговли", "акимом Алматы", "министром образования", "председателем Сената", "министром здравоохранения", "акимом Туркестанской области", "ректором ЕНУ им. Гумилёва"],
    "official_en": ["the Minister of Trade", "the Mayor of Almaty", "the Minister of Education", "the Chairman of the Senate", "the Minister of Healthcare", "the Governor of Turkestan Region"],
    "official_zh": ["哈萨克斯坦贸易部长", "阿拉木图市长", "哈教育部长", "哈卫生部长", "突厥斯坦州州长"],
    "topic": ["торговое сотрудничество", "обмен студентами", "поставки сельхозпродукции", "транзитные перевозки", "сотрудничество в здравоохранении", "культурные проекты на следующий год"],
    "topic_en": ["agricultural trade", "student exchanges", "transit and logistics", "healthcare cooperation", "cultural projects for next year"],
    "topic_zh": ["农产品贸易", "人文交流", "过境运输", "卫生合作"],
    "place": ["Туркестан", "Шымкент", "Караганду", "Актобе", "Павлодар", "Кызылорду"],
    "place_pr": ["Туркестане", "Шымкенте", "Караганде", "Актобе", "Павлодаре", "Кызылорде"],
    "place_en": ["Turkestan", "Shymkent", "Karaganda", "Aktobe", "Pavlodar", "Kyzylorda"],
    "place_kk": ["Түркістанда", "Шымкентте", "Қарағандыда", "Ақтөбеде", "Павлодарда", "Қызылордада"],
    "word": ["достық", "ынтымақ", "бейбітшілік", "береке", "татулық"],
    "region": ["Жамбылской области", "Алматинской области", "Мангистау", "Северо-Казахстанской области"],
    "region_en": ["Zhambyl Region", "Almaty Region", "Mangystau", "North Kazakhstan"],
    "region_kk": ["Жамбыл облысындағы", "Алматы облысындағы", "Маңғыстаудағы"],
}

AMBASSADOR_PHASE2 = [
    ("ru", "aid", [], "Сегодня передали Минздраву Казахстана {n} тест-систем. Спасибо казахстанским коллегам за слаженную работу."),
    ("en", "aid", [], "Handed over {n} masks to the Kazakh Red Crescent this morning. Friends help each other."),
    ("ru", "bilateral", [], "Провёл видеовстречу с казахстанскими экспортёрами. Китайский рынок открыт для вашей продукции."),
    ("kk", "bilateral", [], "Қазақстан мен Қытай — мәңгілік көршілер. Бірге болсақ, кез келген қиындықты жеңеміз."),
    ("zh", "aid", [], "向哈萨克斯坦卫生部移交防疫物资，守望相助，共克时艰。"),
    ("ru", "bilateral", [], "Поздравляю казахстанских друзей с 175-летием Абая! Его слова о труде и знании близки каждому китайцу."),
    ("en", "bilateral", [], "Belt and Road projects in Kazakhstan continue despite the pandemic, with strict health measures on every site."),
    ("ru", "aid", [], "Китайские врачи работают в Нур-Султане уже неделю. Обменялись опытом с коллегами из трёх больниц."),
]
