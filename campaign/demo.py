"""The founding campaign, word for word from the seed documents in shared/seeds.

Signatories get placeholder example.org addresses: the seed's real contact
address is never copied into the demo.
"""

import datetime
import zoneinfo

LONDON = zoneinfo.ZoneInfo("Europe/London")

CAMPAIGN = {
    "slug": "justice-for-kazakhstan-oil-workers",
    "title": "Justice for Kazakhstan's oil workers",
    "summary": (
        "British trade unionists, with Kazakh and Russian friends, support the oil workers "
        "jailed after the Zhanaozen massacre of 16 December 2011."
    ),
    "background": (
        "Officially, 16 people were killed and 60 wounded at Zhanaozen on 16 December 2011; "
        "the real numbers are probably higher. Unarmed demonstrators were shot at close range.\n\n"
        "The massacre came in response to a seven-month strike by several thousand oil workers "
        "demanding better pay and conditions and the right to organise independent trade unions. "
        "In 2012, strike activists were jailed for up to seven years: defendants and witnesses "
        "were tortured before the trials. Political groups and journalists who had supported the "
        "strikers also face repression.\n\n"
        "The UK government and British business elite are among the strongest supporters of "
        "Kazakh president Nursultan Nazarbayev's dictatorial regime. Kazmunaigaz E&P, the oil "
        "company for which most of the strikers worked, is listed on the London Stock Exchange.\n\n"
        "Organised by British trade union activists, with the support of Kazakh and Russian "
        "friends and Platform London, the NGO that monitors the oil industry."
    ),
    "contact_email": "organisers@example.org",
}

DEMANDS = [
    "Release the jailed oil workers and end the repression of independent unions;",
    "An independent inquiry into the Zhanaozen massacre, to establish how many were killed "
    "and injured, and who was responsible;",
    "Investigation and prosecution of all those responsible for torture, and the politicians "
    "who sanctioned it.",
]

MODEL_RESOLUTION = {
    "kind": "model_resolution",
    "title": "A model resolution for your union branch",
    "introduction": (
        "On Thursday 1 November, the Central Line West branch of the RMT decided to join the "
        "protest started by Russian and Kazakh trade unionists. If you are a trade unionist, "
        "please read the branch resolution and consider putting something similar to your "
        "union organisation."
    ),
    "body": (
        "This union notes:\n\n"
        "— That the strike last year by oil workers in Kazakhstan, demanding improvements to "
        "terms and conditions, ended in a massacre at Zhanaozen on 16 December, with at least "
        "16 killed and 60 wounded;\n\n"
        "— That 17 trade union activists have been jailed for their part in the strike for "
        "between two and six years, and that political activists are being tried because they "
        "supported the workers;\n\n"
        "— That detailed allegations of torture and other human rights abuses have been made "
        "against the police and judicial authorities; and\n\n"
        "— That the British government has close links with the government in Kazakhstan, and "
        "British oil companies (e.g. British Gas and Shell) have operations in Kazakhstan.\n\n"
        "This union resolves to:\n\n"
        "— Support the on-line protest, demanding a review of unjust sentences, launched by the "
        "Confederation of Labour of Russia, the Confederation of Free Trade Unions of Kazakhstan "
        "and the LabourStart web site;\n\n"
        "— To write to the Kazakh government, demanding the release of the jailed oil workers "
        "and investigation of the allegations of torture;\n\n"
        "— To make every possible effort to build up an international campaign for the release "
        "of the jailed workers and for an investigation of the allegations of torture."
    ),
}

# Seed "000": the branch that passed it, and where it went next ("The resolution
# has been forwarded to the London region of the RMT").
PASSED_RESOLUTIONS = [
    {
        "body": "Central Line West branch",
        "organisation": "RMT",
        "level": "branch",
        "passed_on": datetime.date(2012, 11, 1),
        "steps": [
            {
                "kind": "forwarded",
                "to_body": "the RMT London region",
                "level": "region",
                "on": datetime.date(2012, 11, 1),
            },
        ],
    },
]

# People who said they would come to the hand-in (attendance/): the event page shows how
# many, never who. Placeholder addresses, as for the demo's signatories.
EVENT_SIGN_UPS = {
    "hand-in": [
        {"name": "Gabriel", "email": "gabriel.demo@example.org", "people": 3},
        {"name": "", "email": "rmt.offshore.demo@example.org", "people": 5},
        {"name": "Aigerim", "email": "aigerim.demo@example.org", "people": 1},
    ],
}


def next_anniversary(today=None):
    """The next 16 December, the massacre's anniversary that the seed letter marks.

    The seed's own date (16 December 2013) is past; a demo with a hand-in to
    come shows a newcomer an open letter, days left and all.
    """
    today = today or datetime.datetime.now(LONDON).date()
    this_year = datetime.date(today.year, 12, 16)
    return this_year if today <= this_year else datetime.date(today.year + 1, 12, 16)


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def events(day):
    """The seed leaflet's two demonstrations, on the hand-in day, with their end times."""
    return [
        {
            "key": "hand-in",
            "title": "Hand-in of the open letter at the Foreign Office",
            "starts_at": at(day, 10),
            "ends_at": at(day, 11),
            "place": "Foreign Office",
            "address": "Parliament Street, corner of King Charles Street, London SW1",
            "description": "We hand in the open letter to the Foreign Secretary on the "
            "anniversary of the massacre.",
        },
        {
            "key": "embassy",
            "title": "Demonstration at the Kazakh Embassy",
            "starts_at": at(day, 12),
            "ends_at": at(day, 14),
            "place": "Kazakh Embassy",
            "address": "125 Pall Mall, London SW1",
            "description": "We show our support for Kazakh oil workers, and oppose UK backing "
            "for the Kazakh government.",
        },
    ]


LETTER = {
    "slug": "open-letter-to-the-foreign-secretary",
    "title": "Open letter to the Foreign Secretary",
    "addressee": "The Foreign Secretary",
    "salutation": "Dear Mr Hague,",
    "body": (
        "On the second anniversary of the massacre of oil workers at Zhanaozen, Kazakhstan, in "
        "which at least 16 people were killed and 60 injured, we urge you to protest to the "
        "government of Kazakhstan about the repression of the oil workers' movement. We call on "
        "the government to take action on the multiple abuses of human rights and multiple "
        "breaches of international law that this repression has involved. Specifically, we "
        "urge you:\n\n"
        "1. To call for the release from prison of at least 10 trade union activists, and "
        'others who supported them, jailed mostly under the catch-all law on "inciting social '
        "discord\", after trials at which there were multiple breaches of Kazakhstan's own "
        "legal standards;\n\n"
        "2. To take appropriate action in international fora and the international courts on "
        "the use of torture against defendants and witnesses in those trials;\n\n"
        "3. To demand that the Kazakh government ensures free access to Zhanaozen for "
        "representatives of international trade union organisations and non-governmental "
        "organisations, so that they can set in motion an independent investigation of the "
        "massacre of 16 December, to ascertain the real number of victims and inquire into who "
        "was responsible for the massacre.\n\n"
        "4. To denounce publicly the government of Kazakhstan for its illegal and unjust "
        "repression of the oil workers' movement, and for its intensification of attacks on "
        "freedom of speech and of political action in the two years that followed."
    ),
    "closing": "Yours sincerely,",
    # Post-moderated so that a newcomer trying `make run` sees their name once confirmed.
    "moderation": "post",
    "target_count": 100,
}

ORGANISATIONS = [
    ("Rail Maritime Transport union/Oil Industry Liason Committee, Offshore Energy Branch", ""),
]

# The seed letter's individuals, in the seed's printed order.
INDIVIDUALS = [
    ("David Anderson MP", "Labour, Blaydon"),
    ("Professor Bill Bowring", "School of Law, Birkbeck College, University of London"),
    ("Andrew Brady", "Union Solidarity International"),
    ("Andrew Burgin", "Vice-Chair, Coalition of Resistance"),
    ("John Davies", "author, Beating Berlusconi"),
    ("Barry Faulkner", "member of Unite, personal capacity"),
    ("David Hopper", "General Secretary, Durham Miners Association"),
    ("Emma Hughes", "Platform London"),
    ("Owen Jones", "columnist, The Independent"),
    ("Dr Maria la Falce", "SOAS"),
    ("Ian Lavery MP", "Labour, Wansbeck"),
    ("Liz Leicester", "member of Unison, Camden, personal capacity"),
    ("Gabriel Levy", "Justice for Kazakhstan Oil Workers"),
    ("Anton Moctonian", "member of Unite, personal capacity"),
    ("Grahame Morris MP", "Labour, Easington"),
    ("Walton Pantland", "Union Solidarity International"),
    ("John Peters", "Honorary Life Member, University and College Union"),
    ("Madeleine Reeves", "lecturer, University of Manchester"),
    ("Neil Rothnie", "North Sea oil worker, RMT, personal capacity"),
    ("Bert Schouwenburg", "International Officer, GMB"),
    ("Vaughan Thomas", "RMT, Central Line West branch chair"),
    ("Sasha Zernova", "Solicitors International Human Rights Group, CIS working group coordinator"),
]

ORGANISER_USERNAME = "organiser"
ORGANISER_PASSWORD = "zhanaozen-2011"
# A second login to try the moderators' view (no e-mail address anywhere).
MODERATOR_USERNAME = "moderator"


# The letter as readers in Russian and Kazakh see it; the original is what is handed in.
TRANSLATIONS = {
    "ru": {
        "title": "Открытое письмо министру иностранных дел",
        "salutation": "Уважаемый господин Хейг!",
        "body": (
            "Во вторую годовщину расстрела нефтяников в Жанаозене (Казахстан), когда были "
            "убиты по меньшей мере 16 человек и ранены 60, мы призываем вас выразить протест "
            "правительству Казахстана в связи с репрессиями против движения нефтяников. Мы "
            "призываем правительство принять меры в связи с многочисленными нарушениями прав "
            "человека и норм международного права, которыми сопровождались эти репрессии. В "
            "частности, мы призываем вас:\n\n"
            "1. Потребовать освобождения из заключения по меньшей мере 10 профсоюзных "
            "активистов и тех, кто их поддерживал, осуждённых в основном по расплывчатой статье "
            "о «разжигании социальной розни» после процессов, на которых многократно нарушались "
            "правовые нормы самого Казахстана;\n\n"
            "2. Предпринять надлежащие действия на международных площадках и в международных "
            "судах в связи с применением пыток к обвиняемым и свидетелям на этих процессах;\n\n"
            "3. Потребовать, чтобы правительство Казахстана обеспечило свободный доступ в "
            "Жанаозен представителям международных профсоюзных и неправительственных "
            "организаций, чтобы они могли начать независимое расследование расстрела 16 "
            "декабря, установить действительное число жертв и выяснить, кто несёт "
            "ответственность за расстрел.\n\n"
            "4. Публично осудить правительство Казахстана за незаконные и несправедливые "
            "репрессии против движения нефтяников и за усиление нападок на свободу слова и "
            "политической деятельности за прошедшие с тех пор два года."
        ),
        "closing": "С уважением,",
    },
    "kk": {
        "title": "Сыртқы істер министріне ашық хат",
        "salutation": "Құрметті Хейг мырза!",
        "body": (
            "Қазақстандағы Жаңаөзенде мұнайшыларды атып-қырудың екінші жылдығында (сонда "
            "кемінде 16 адам қаза тауып, 60 адам жараланды) біз Сізді мұнайшылар қозғалысына "
            "қарсы қуғын-сүргінге байланысты Қазақстан үкіметіне наразылық білдіруге "
            "шақырамыз. Біз үкіметті осы қуғын-сүргін кезінде адам құқықтары мен халықаралық "
            "құқық нормаларының көп рет бұзылуына қатысты шара қолдануға шақырамыз. Атап "
            "айтқанда, біз Сізді:\n\n"
            "1. Негізінен «әлеуметтік араздықты қоздыру» туралы жалпылама бап бойынша, "
            "Қазақстанның өз құқықтық нормалары бірнеше рет бұзылған соттардан кейін түрмеге "
            "қамалған кемінде 10 кәсіподақ белсендісін және оларды қолдаған адамдарды босатуды "
            "талап етуге;\n\n"
            "2. Сол соттарда айыпталушылар мен куәгерлерге азаптау қолданылғаны үшін "
            "халықаралық алаңдарда және халықаралық соттарда тиісті шаралар қабылдауға;\n\n"
            "3. Қазақстан үкіметінен халықаралық кәсіподақ ұйымдары мен үкіметтік емес "
            "ұйымдардың өкілдеріне Жаңаөзенге еркін кіруді қамтамасыз етуді талап етуге: олар "
            "16 желтоқсандағы қырғынға тәуелсіз тергеу бастап, құрбандардың нақты санын "
            "анықтап, қырғынға кім жауапты екенін зерттей алуы тиіс.\n\n"
            "4. Қазақстан үкіметін мұнайшылар қозғалысына қарсы заңсыз әрі әділетсіз "
            "қуғын-сүргіні үшін, сондай-ақ одан кейінгі екі жылда сөз бостандығы мен саяси "
            "қызметке шабуылдарды күшейткені үшін жария түрде айыптауға шақырамыз."
        ),
        "closing": "Құрметпен,",
    },
}
