# ruff: noqa: E501  (wire copy: one paragraph per line, as agencies send it)
"""Invented wire copy for the near-duplicate labelled set (``tests/dedupe_cases.py``).

Every story, rewrite, lede and template here is written for this project; names of people and
figures are fictitious. Paragraphs are separated by blank lines; the first starts with the lead.
"""

from __future__ import annotations

STORIES: dict[str, str] = {
    "potash": """MINSK, 7 January (BelTA) – Belarusian potash producers shipped 11.2 million tonnes of fertiliser abroad last year, 4% more than in the previous year, Deputy Economy Minister Pavel Korshun told reporters on Tuesday.

Most of the volume went to China, India and Brazil, where farmers have been rebuilding stocks after two years of high prices. Shipments through Russian ports accounted for almost 90% of the total, Korshun said.

“We have fully replaced the routes we lost and the logistics now work without interruptions,” he said. The ministry expects exports to grow by another 3-5% this year if rail capacity to the port of Ust-Luga is expanded as planned.

Export revenue from potash fell by 18%, however, because world prices dropped from their 2022 peak. The producers are compensating with longer contracts and deliveries of granulated product, which sells at a premium.

Potash remains one of the country's three largest export items together with oil products and food, the deputy minister noted.""",
    "flood": """GOMEL, 12 April (BelTA) – Rising water in the Pripyat and Sozh rivers has flooded 37 villages in Gomel Oblast, the Emergencies Ministry said on Friday, and more than 400 residents have been moved to temporary shelters.

The water level near Mozyr rose by 23 centimetres in the past 24 hours and is now 1.4 metres above the danger mark. Rescuers expect the peak of the flood in the next three to four days.

Roads to 14 settlements are under water, and food and medicines are being delivered by boat and by amphibious vehicles. Two bridges in Petrikov District have been closed to traffic.

“Nobody has been hurt. The situation is under control, and all the necessary equipment and people are in place,” regional emergencies chief Oleg Dudko said.

Forecasters warned that heavy rain expected at the weekend could push the water higher in the lower reaches of the Pripyat.""",
    "hockey": """MINSK, 3 March (BelTA) – Dinamo Minsk beat Avangard Omsk 4-2 at home on Sunday to level their KHL first-round playoff series at 2-2.

Vadim Sushko opened the scoring on a power play in the eighth minute, and Stepan Falkovsky doubled the lead early in the second period with a slap shot from the blue line.

Avangard came back with two goals in three minutes midway through the game, but Francis Pare restored the lead for Dinamo in the 51st minute after a mistake by the visitors' goalkeeper. Sushko added an empty-net goal with 47 seconds left.

Dinamo goaltender Alexei Kolosov made 34 saves. “We played with character tonight. The series starts again from zero,” head coach Dmitry Kvartalnov said after the game.

Game five will be played in Omsk on Tuesday.""",
    "housing": """MINSK, 20 February (BelTA) – The Council of Ministers has approved a programme to build 3,500 rental homes in small towns and agro-towns by 2026, the Ministry of Architecture and Construction said on Thursday.

The flats and houses will be offered first to young doctors, teachers and agricultural specialists who come to work in rural areas after graduating. Rent will be set at no more than 20% of the average local wage.

About 60% of the homes will be built in Vitebsk and Mogilev oblasts, where the shortage of specialists is most acute. Local authorities are to provide the land and connect the buildings to utilities at their own expense.

The programme will cost 480 million roubles, most of it from the national budget. Construction of the first 600 homes will begin this spring, Deputy Minister Irina Sadovskaya said.

The ministry plans to use standard designs of one- and two-storey houses to cut costs and building times.""",
    "derailment": """WARSAW, 15 June (Reuters) - A freight train carrying fuel derailed near the eastern Polish town of Biala Podlaska on Saturday, spilling diesel and forcing the evacuation of about 200 people from nearby houses, police said.

Nine of the train's 32 tank wagons left the tracks at around 5 a.m. local time, and at least two of them leaked, a police spokeswoman said. No one was injured.

Firefighters put up barriers to stop the fuel from reaching the Krzna river, about 500 metres away. Environmental inspectors were taking water samples.

The line, part of the main rail route between Warsaw and the Belarusian border, will remain closed at least until Monday, state railway operator PKP PLK said. Passenger trains are being replaced by buses.

The cause of the accident is not yet known. Prosecutors have opened an investigation.""",
    "rate": """MINSK, 24 January (BelTA) – The National Bank of Belarus kept its refinancing rate unchanged at 9.5% a year on Wednesday, citing inflation that remains above its target.

Consumer prices rose by 5.8% in 2023, while the bank's target was 7% at most, but monthly inflation accelerated in December because of higher food and fuel prices, the bank's board said in a statement.

The board said it would keep monetary conditions neutral until inflation expectations of households and businesses stabilise. Lending to companies grew by 17% last year, mostly in Belarusian roubles.

Analysts had expected the decision. The refinancing rate was last cut in June 2023, from 10% to 9.5%.

The next meeting of the board on monetary policy is scheduled for April.""",
    "itpark": """MINSK, 9 October (BelTA) – The number of residents of the Hi-Tech Park in Minsk has risen to 1,048 companies, up 61 since the start of the year, the park's administration said on Monday.

The residents employed 97,000 people at the end of September. Exports of IT services and software reached 2.1 billion dollars in the first nine months, about the same as a year earlier.

Most of the new residents develop software for banks, logistics and industry, and about a quarter work on mobile games, the administration said. Twelve of the newcomers are from Russia and Kazakhstan.

The park's special legal regime, which gives residents tax breaks and simplified hiring of foreigners, has been extended until 2049. The administration says the number of companies should pass 1,100 by the end of the year.

Residents pay 1% of their revenue to the park instead of most corporate taxes.""",
    "harvest": """МИНСК, 18 июля (БЕЛТА) – Уборочная кампания в Беларуси должна пройти в сжатые сроки и без потерь, заявил премьер-министр Роман Головченко на совещании в Доме правительства во вторник.

По его словам, к уборке готово более 9 тыс. зерноуборочных комбайнов, однако почти 300 машин по-прежнему ждут ремонта. Головченко поручил завершить ремонт до конца недели.

«Погода в этом году не балует, поэтому каждая ясная неделя на вес золота. Никаких простоев техники быть не должно», – подчеркнул премьер-министр.

Зерновые и зернобобовые в этом году посеяны на площади 2,4 млн га. Аграрии планируют собрать не менее 9 млн т зерна с учетом кукурузы.

На совещании также обсудили обеспечение хозяйств топливом и запасными частями. Минсельхозпрод проведет проверку готовности складов и сушильных комплексов до 1 августа.""",
    "flood_ru": """ГОМЕЛЬ, 12 апреля (БЕЛТА) – В Гомельской области в результате паводка подтоплены 37 населенных пунктов, более 400 жителей переселены во временное жилье, сообщили в пятницу в областном управлении МЧС.

За последние сутки уровень воды в Припяти у Мозыря поднялся на 23 см и превышает опасную отметку на 1,4 м. Пик паводка спасатели ожидают в ближайшие три-четыре дня.

Дороги к 14 населенным пунктам ушли под воду, продукты и лекарства доставляют на лодках и амфибиях. В Петриковском районе закрыто движение по двум мостам.

«Пострадавших нет. Ситуация под контролем, вся необходимая техника и личный состав на местах», – сказал начальник областного управления МЧС Олег Дудко.

Синоптики предупреждают, что сильные дожди, ожидаемые в выходные, могут поднять уровень воды в нижнем течении Припяти.""",
    "rate_ru": """МИНСК, 24 января (БЕЛТА) – Правление Национального банка Беларуси в среду сохранило ставку рефинансирования на уровне 9,5% годовых из-за инфляции, которая остается выше целевого ориентира.

Потребительские цены в 2023 году выросли на 5,8% при целевом ориентире не более 7%, однако в декабре месячная инфляция ускорилась из-за подорожания продуктов и топлива, говорится в сообщении регулятора.

Правление намерено сохранять нейтральные денежно-кредитные условия до стабилизации инфляционных ожиданий населения и бизнеса. Кредитование предприятий за прошлый год выросло на 17%, в основном в белорусских рублях.

Аналитики ожидали такого решения. Последний раз ставка снижалась в июне 2023 года – с 10% до 9,5%.

Следующее заседание правления по вопросам денежно-кредитной политики запланировано на апрель.""",
    "metro": """МИНСК, 28 декабря (БЕЛТА) – В Минске открылись три новые станции третьей линии метро – «Аэродромная», «Неморшанский сад» и «Слуцкий гостинец», сообщили в четверг в Мингорисполкоме.

Протяженность нового участка составляет 4,5 км. Поезда будут ходить с интервалом 8-10 минут в часы пик и до 15 минут в остальное время.

Станции оформлены в едином стиле: светлый камень, металл и подсветка в цветах линии. На «Слуцком гостинце» установлены лифты для пассажиров с инвалидностью и детскими колясками.

«Новый участок разгрузит автобусные маршруты на юге города, жители районов Лошица и Курасовщина смогут доехать до центра за 15 минут», – отметил председатель горисполкома Владимир Кухарев.

Строительство продления третьей линии до микрорайона Корзюки начнется в 2025 году.""",
    "bus": """БРЕСТ, 6 августа (БЕЛТА) – Рейсовый автобус съехал в кювет и опрокинулся на трассе М1 под Брестом в воскресенье утром, пострадали 11 пассажиров, сообщили в УВД Брестского облисполкома.

Автобус, следовавший из Минска в Брест, перевозил 38 человек. По предварительным данным, водитель не справился с управлением на мокрой дороге при обгоне грузовика.

Пострадавших доставили в больницы Бреста и Жабинки, трое из них находятся в состоянии средней тяжести. Остальные пассажиры пересели в резервный автобус и продолжили поездку.

Водитель 1979 года рождения был трезв. Движение на участке трассы было ограничено на два часа.

Следственный комитет возбудил уголовное дело о нарушении правил дорожного движения.""",
}

# Hand-written copy edits: (old, new) replacements, each a few words.
EDITS: dict[str, list[tuple[str, str]]] = {
    "potash": [
        ("told reporters on Tuesday", "said on Tuesday"),
        ("have been rebuilding stocks", "are rebuilding stocks"),
        ("almost 90%", "nearly 90%"),
        ("as planned", "as the government plans"),
    ],
    "flood": [
        ("more than 400 residents", "over 400 people"),
        ("Rescuers expect", "Rescue teams expect"),
        ("by boat and by amphibious vehicles", "by boats and amphibious vehicles"),
        ("Forecasters warned", "Weather forecasters warned"),
    ],
    "hockey": [
        ("beat Avangard Omsk 4-2 at home", "defeated Avangard Omsk 4-2 at the Minsk-Arena"),
        ("opened the scoring", "scored first"),
        ("Game five will be played", "The fifth game will be played"),
    ],
    "derailment": [
        ("forcing the evacuation of", "and forced the evacuation of"),
        ("a police spokeswoman said", "regional police spokeswoman Anna Zych said"),
        ("Environmental inspectors were taking", "Environmental inspectors took"),
        ("Passenger trains are being replaced by buses.", "Buses replace passenger trains."),
    ],
    "itpark": [
        ("has risen to 1,048 companies", "has grown to 1,048 companies"),
        ("about the same as", "roughly the same as"),
        ("Twelve of the newcomers", "A dozen newcomers"),
        ("should pass", "is expected to exceed"),
    ],
    "harvest": [
        ("должна пройти в сжатые сроки", "необходимо провести в сжатые сроки"),
        ("почти 300 машин", "около 300 машин"),
        ("подчеркнул премьер-министр", "подчеркнул глава правительства"),
        ("не менее 9 млн т зерна", "не менее 9 млн тонн зерна"),
    ],
    "rate_ru": [
        ("в среду сохранило", "сохранило в среду"),
        ("говорится в сообщении регулятора", "сообщает Нацбанк"),
        ("Аналитики ожидали такого решения.", "Решение было ожидаемым."),
    ],
    "bus": [
        ("съехал в кювет и опрокинулся", "опрокинулся в кювет"),
        ("перевозил 38 человек", "вез 38 пассажиров"),
        ("пересели в резервный автобус", "пересадили в другой автобус"),
        ("Движение на участке трассы было ограничено", "Движение на трассе ограничивали"),
    ],
}

# A new lede written by the same desk for an update, replacing the first paragraph
# (after "+" the update also adds a closing paragraph).
LEDES: dict[str, str] = {
    "potash": "MINSK, 7 January (BelTA) – Belarus exported a record 11.2 million tonnes of potash fertiliser last year as producers completed the switch to Russian ports, Deputy Economy Minister Pavel Korshun said on Tuesday, adding that revenue nevertheless fell by almost a fifth.",
    "flood": "GOMEL, 13 April (BelTA) – The number of flooded villages in Gomel Oblast has risen to 44 and more than 520 people have left their homes, the Emergencies Ministry said on Saturday, as the Pripyat kept rising for a sixth day.",
    "derailment": "WARSAW, 15 June (Reuters) - Polish authorities evacuated about 200 people and closed the main rail line to Belarus on Saturday after a freight train carrying diesel derailed near Biala Podlaska and at least two tank wagons leaked fuel, police said.",
    "rate": "MINSK, 24 January (BelTA) – Belarus's central bank left its key rate at 9.5% on Wednesday and signalled no cut before spring, saying the December pick-up in food and fuel prices needed to fade first.",
    "hockey": "MINSK, 3 March (BelTA) – Vadim Sushko scored twice, including an empty-netter, as Dinamo Minsk beat Avangard Omsk 4-2 on Sunday and squared their first-round KHL playoff series at two wins apiece.",
    "flood_ru": "ГОМЕЛЬ, 13 апреля (БЕЛТА) – Число подтопленных населенных пунктов в Гомельской области выросло до 44, из зоны паводка отселены более 520 человек, сообщили в субботу в МЧС. Вода в Припяти прибывает шестые сутки.",
    "bus": "БРЕСТ, 6 августа (БЕЛТА) – Число пострадавших в ДТП с рейсовым автобусом Минск – Брест на трассе М1 выросло до 13, двое госпитализированы в тяжелом состоянии, сообщили в воскресенье днем в УВД Брестского облисполкома.",
    "metro": "МИНСК, 28 декабря (БЕЛТА) – Первые пассажиры проехали в четверг по новому участку третьей линии минского метро: станции «Аэродромная», «Неморшанский сад» и «Слуцкий гостинец» открыты для всех с 15.00, сообщили в Мингорисполкоме.",
}
CLOSERS: dict[str, str] = {
    "flood": "The government has allocated 2 million roubles from its reserve fund to repair roads and dams after the water recedes, the ministry added.",
    "bus": "Глава Минтранса поручил провести внеплановую проверку перевозчика.",
    "potash": "Belaruskali, the largest producer, will publish its annual results in March.",
}

# The same event written independently by another agency (expected: NOT a near-duplicate).
REWRITES: dict[str, str] = {
    "potash": """MINSK, Jan 7 (Reuters) - Belarus increased potash exports by about 4% in 2023 to 11.2 million tonnes, a deputy economy minister said, as the sanctions-hit country sent almost all of its fertiliser through Russian ports after losing access to Lithuania's Klaipeda.

China, India and Brazil were the main buyers, Pavel Korshun said, without giving a breakdown. Revenue fell, he said, as prices retreated from record highs reached after Russia's invasion of Ukraine.

Belarus is one of the world's largest potash producers. Western sanctions imposed in 2021 and 2022 forced state producer Belaruskali to reroute shipments, which analysts said cost it market share in 2022.""",
    "flood": """GOMEL, Belarus, April 12 (AP) _ Spring floods have cut off villages in southeastern Belarus, where emergency workers are using boats to bring supplies to residents stranded by the swollen Pripyat River.

Officials say dozens of settlements are affected and hundreds of people have left their homes. No casualties have been reported. The river near the town of Mozyr is well above the level considered dangerous, and more rain is forecast.

The Pripyat marshes flood almost every spring, but this year's high water follows a winter with unusually heavy snow.""",
    "hockey": """OMSK, March 3 (Sport-Express) - Avangard let a two-goal comeback slip away in Minsk on Sunday, losing 4-2 to Dinamo as goaltender Vasily Demchenko's misplay gifted the hosts the winner with nine minutes left.

Avangard had erased a 2-0 deficit through goals by Konstantin Okulov and Vladimir Tkachev, but Francis Pare punished the error and Vadim Sushko sealed it into an empty net. The best-of-seven series is tied 2-2 and returns to Omsk.

"We gave them that game," Avangard coach Guy Boucher said. "At home we have to be much sharper." """,
    "derailment": """BIALA PODLASKA, Poland, June 15 (PAP) - Around 200 residents were evacuated on Saturday morning after nine tanker cars of a freight train came off the rails on the Warsaw-Terespol line, according to the local fire brigade.

Fuel leaking from two of the cars was contained with sorbents and earth barriers before it could reach the Krzna, fire brigade commander Tomasz Wojcik told PAP. Nobody was hurt.

Rail traffic to the Belarusian border crossing at Terespol has been suspended. The railway infrastructure manager estimates that clearing the tracks will take at least two days.""",
    "rate": """MINSK, Jan 24 (Interfax) - The Belarusian central bank held its refinancing rate at 9.5 percent at Wednesday's meeting, in line with market expectations.

In its statement the regulator pointed to faster price growth at the end of last year and said monetary policy would stay neutral. Annual inflation in Belarus was 5.8 percent in December, below the 7 percent ceiling set for 2023.

The rate has stood at 9.5 percent since June of last year. The board will next review it in April.""",
    "harvest": """МИНСК, 18 июля (Интерфакс-Запад) – Правительство Беларуси требует от аграриев провести уборку урожая без потерь и простоев техники, заявил во вторник глава кабмина Роман Головченко.

По данным Минсельхозпрода, в ремонте остаются около 300 зерноуборочных комбайнов из более чем 9 тысяч. Премьер потребовал вернуть их в строй в течение недели.

В 2024 году в стране рассчитывают намолотить не менее 9 млн тонн зерна, включая кукурузу. Площадь под зерновыми составляет около 2,4 млн гектаров.""",
    "flood_ru": """МОЗЫРЬ, 12 апреля (Sputnik) – Весеннее половодье на Припяти отрезало от большой земли несколько десятков деревень на юге Гомельской области, жителям продукты привозят спасатели на лодках.

Как рассказали в МЧС, сотни человек временно покинули свои дома, пострадавших нет. Уровень реки у Мозыря значительно превышает критическую отметку, а синоптики обещают новые дожди.

Полесье затапливает почти каждую весну, однако в этом году паводок усилился после снежной зимы.""",
    "bus": """БРЕСТ, 6 августа (Интерфакс-Запад) – Одиннадцать человек получили травмы при опрокидывании междугороднего автобуса на трассе Минск – Брест в воскресенье, сообщает областная милиция.

Авария произошла у поворота на Жабинку около 8 утра. Водитель пытался обогнать фуру на мокром асфальте и потерял управление. В салоне находились 38 пассажиров.

Трое пострадавших госпитализированы. По факту ДТП возбуждено уголовное дело.""",
}

# Different stories from the same agency, chosen close in topic (expected: NOT).
DIFFERENT: list[tuple[str, str]] = [
    ("potash", "rate"),
    ("flood", "derailment"),
    ("housing", "itpark"),
    ("hockey", "potash"),
    ("harvest", "rate_ru"),
    ("flood_ru", "bus"),
    ("metro", "harvest"),
    ("rate", "housing"),
]

# Same-agency formula stories: one template, other figures (expected: NOT).
FORMULAS: dict[str, str] = {
    "fx_en": """MINSK, {d} January (BelTA) – The National Bank of Belarus has set the following official exchange rates of the Belarusian rouble for {d1} January: {usd} roubles per US dollar ({usd_ch}), {eur} roubles per euro ({eur_ch}) and {rub} roubles per 100 Russian roubles ({rub_ch}).

The rates are based on the results of trading on the Belarusian Currency and Stock Exchange on {d} January.""",
    "fx_ru": """МИНСК, {d} января (БЕЛТА) – Национальный банк Беларуси установил официальные курсы белорусского рубля на {d1} января: {usd} рубля за доллар США ({usd_ch}), {eur} рубля за евро ({eur_ch}) и {rub} рубля за 100 российских рублей ({rub_ch}).

Курсы определены по итогам торгов на Белорусской валютно-фондовой бирже {d} января.""",
    "weather_en": """MINSK, {d} March (BelTA) – {sky} weather is expected in Belarus on {d1} March, the hydrometeorological centre said. {rain}.

Daytime temperatures will range from {t1} to {t2} degrees, and night temperatures from {n1} to {n2} degrees. The wind will be {wind}, {w1}-{w2} metres per second.""",
    "weather_ru": """МИНСК, {d} марта (БЕЛТА) – {sky} погода ожидается в Беларуси {d1} марта, сообщили в Белгидромете. {rain}.

Температура воздуха днем составит от {t1} до {t2} градусов, ночью – от {n1} до {n2} градусов. Ветер {wind}, {w1}-{w2} м/с.""",
    "stocks_en": """MINSK, {d} May (BelTA) – Trading on the Belarusian Currency and Stock Exchange on {d} May totalled {vol} million roubles, {dir} {pct}% from the previous session, the exchange said.

Government bonds accounted for {gov}% of the turnover and corporate bonds for {corp}%. The BCSE share index closed at {idx} points ({idx_ch}).""",
    "football_ru": """МИНСК, {d} мая (БЕЛТА) – В матче {n}-го тура чемпионата Беларуси по футболу «{home}» на своем поле обыграл «{away}» со счетом {score}.

Голы забили {scorers}. После этой победы «{home}» набрал {pts} очков и поднялся на {pos}-е место в турнирной таблице.""",
}
FORMULA_FILLS: list[tuple[str, dict[str, str], dict[str, str], bool]] = [
    # (template, first fill, second fill, sent as id-less pages of the same partner)
    (
        "fx_en",
        {
            "d": "7",
            "d1": "8",
            "usd": "3.2145",
            "usd_ch": "-0.0012",
            "eur": "3.5012",
            "eur_ch": "+0.0108",
            "rub": "3.5560",
            "rub_ch": "-0.0041",
        },
        {
            "d": "8",
            "d1": "9",
            "usd": "3.2190",
            "usd_ch": "+0.0045",
            "eur": "3.4987",
            "eur_ch": "-0.0025",
            "rub": "3.5702",
            "rub_ch": "+0.0142",
        },
        False,
    ),
    (
        "fx_en",
        {
            "d": "14",
            "d1": "15",
            "usd": "3.1870",
            "usd_ch": "+0.0210",
            "eur": "3.4411",
            "eur_ch": "+0.0305",
            "rub": "3.5120",
            "rub_ch": "+0.0007",
        },
        {
            "d": "15",
            "d1": "16",
            "usd": "3.1902",
            "usd_ch": "+0.0032",
            "eur": "3.4398",
            "eur_ch": "-0.0013",
            "rub": "3.5036",
            "rub_ch": "-0.0084",
        },
        True,
    ),
    (
        "fx_ru",
        {
            "d": "7",
            "d1": "8",
            "usd": "3,2145",
            "usd_ch": "-0,0012",
            "eur": "3,5012",
            "eur_ch": "+0,0108",
            "rub": "3,5560",
            "rub_ch": "-0,0041",
        },
        {
            "d": "8",
            "d1": "9",
            "usd": "3,2190",
            "usd_ch": "+0,0045",
            "eur": "3,4987",
            "eur_ch": "-0,0025",
            "rub": "3,5702",
            "rub_ch": "+0,0142",
        },
        True,
    ),
    (
        "fx_ru",
        {
            "d": "21",
            "d1": "22",
            "usd": "3,2650",
            "usd_ch": "+0,0011",
            "eur": "3,5540",
            "eur_ch": "-0,0201",
            "rub": "3,6012",
            "rub_ch": "+0,0033",
        },
        {
            "d": "22",
            "d1": "23",
            "usd": "3,2671",
            "usd_ch": "+0,0021",
            "eur": "3,5577",
            "eur_ch": "+0,0037",
            "rub": "3,5980",
            "rub_ch": "-0,0032",
        },
        False,
    ),
    (
        "weather_en",
        {
            "d": "4",
            "d1": "5",
            "sky": "Cloudy",
            "rain": "Light rain is forecast in the west",
            "t1": "+3",
            "t2": "+8",
            "n1": "-2",
            "n2": "+3",
            "wind": "south-westerly",
            "w1": "5",
            "w2": "10",
        },
        {
            "d": "5",
            "d1": "6",
            "sky": "Cloudy",
            "rain": "Light rain is forecast in the east",
            "t1": "+1",
            "t2": "+6",
            "n1": "-4",
            "n2": "+1",
            "wind": "north-westerly",
            "w1": "4",
            "w2": "9",
        },
        True,
    ),
    (
        "weather_ru",
        {
            "d": "4",
            "d1": "5",
            "sky": "Облачная",
            "rain": "На западе небольшой дождь",
            "t1": "+3",
            "t2": "+8",
            "n1": "-2",
            "n2": "+3",
            "wind": "юго-западный",
            "w1": "5",
            "w2": "10",
        },
        {
            "d": "5",
            "d1": "6",
            "sky": "Облачная",
            "rain": "На востоке небольшой дождь",
            "t1": "+1",
            "t2": "+6",
            "n1": "-4",
            "n2": "+1",
            "wind": "северо-западный",
            "w1": "4",
            "w2": "9",
        },
        True,
    ),
    (
        "stocks_en",
        {
            "d": "13",
            "vol": "412.6",
            "dir": "down",
            "pct": "8.1",
            "gov": "61.4",
            "corp": "30.2",
            "idx": "1,204.5",
            "idx_ch": "+0.3%",
        },
        {
            "d": "14",
            "vol": "455.2",
            "dir": "up",
            "pct": "10.3",
            "gov": "58.9",
            "corp": "33.0",
            "idx": "1,198.1",
            "idx_ch": "-0.5%",
        },
        False,
    ),
    (
        "football_ru",
        {
            "d": "11",
            "n": "9",
            "home": "Динамо-Минск",
            "away": "Гомель",
            "score": "2:0",
            "scorers": "Лебедев и Бегунов",
            "pts": "19",
            "pos": "2",
        },
        {
            "d": "12",
            "n": "9",
            "home": "Шахтер",
            "away": "Нафтан",
            "score": "3:1",
            "scorers": "Ярошевич (дважды) и Жук",
            "pts": "17",
            "pos": "4",
        },
        True,
    ),
]
