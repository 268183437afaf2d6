"""The demo's data: plain tables of places, offices, schemes and their ladders, holidays,
logins, names and the wording of the case histories. No code runs here; caseflow/demo/seed.py
and its helpers turn these tables into rows through the domain services.

Every name, phone number and reference is made up ("Narmada Pradesh" is a fictional state).
"""
from caseflow.auth.models import Role
from caseflow.cases.models import CaseStatus, Channel, CloseReason

SEED = 2611
# Demo only: printed on the console by seed-demo, so it must never protect real data.
DEMO_PASSWORD = "demo-password-1"

STATE = ("Narmada Pradesh", "नर्मदा प्रदेश")

DISTRICTS = (
    {
        "code": "DVG",
        "name": ("Devgarh", "देवगढ़"),
        "blocks": (("Devgarh", "देवगढ़"), ("Kanakpur", "कनकपुर")),
        "urban": ("Devgarh Nagar Palika", "देवगढ़ नगर पालिका"),
    },
    {
        "code": "SNP",
        "name": ("Sonpur", "सोनपुर"),
        "blocks": (("Sonpur", "सोनपुर"), ("Bhimgarh", "भीमगढ़")),
        "urban": ("Sonpur Nagar Palika", "सोनपुर नगर पालिका"),
    },
)

# Village names, drawn without replacement so no two places in the demo share a name.
VILLAGES = (
    ("Rampur", "रामपुर"), ("Khajuri", "खजूरी"), ("Barkheda", "बरखेड़ा"), ("Pipariya", "पिपरिया"),
    ("Semri", "सेमरी"), ("Jamuniya", "जामुनिया"), ("Bamhori", "बमहोरी"), ("Devri", "देवरी"),
    ("Mahuakheda", "महुआखेड़ा"), ("Imliya", "इमलिया"), ("Kanera", "कनेरा"), ("Bhaunra", "भौंरा"),
    ("Sukhi Sewaniya", "सूखी सेवनिया"), ("Dhamni", "धामनी"), ("Karondi", "करोंदी"), ("Gudbhela", "गुड़भेला"),
    ("Tilkhedi", "तिलखेड़ी"), ("Nayagaon", "नयागांव"), ("Kachnariya", "कचनारिया"), ("Beelkhedi", "बीलखेड़ी"),
    ("Amlaha", "अमलाहा"), ("Chandpura", "चांदपुरा"), ("Gopalpur", "गोपालपुर"), ("Padhar", "पाढर"),
    ("Ratanpur", "रतनपुर"), ("Sonkhedi", "सोनखेड़ी"), ("Tindoni", "टिंडोनी"), ("Kharpa", "खरपा"),
    ("Nimoda", "निमोदा"), ("Bagwada", "बगवाड़ा"), ("Hirapur", "हीरापुर"), ("Singhpur", "सिंहपुर"),
    ("Jhiri", "झिरी"), ("Palasi", "पलासी"), ("Ghatkheda", "घाटखेड़ा"), ("Aamgaon", "आमगांव"),
    ("Berkhedi", "बेरखेड़ी"), ("Lalpur", "लालपुर"), ("Kundaliya", "कुंडालिया"), ("Khamariya", "खमरिया"),
    ("Salaiya", "सलैया"), ("Gondipura", "गोंडीपुरा"), ("Kosmi", "कोसमी"), ("Dongargaon", "डोंगरगांव"),
    ("Haripura", "हरिपुरा"), ("Kudari", "कुदारी"), ("Majhgawan", "मझगवां"), ("Sagoni", "सगोनी"),
    ("Barodiya", "बरोदिया"), ("Khiriya", "खिरिया"), ("Mohanpura", "मोहनपुरा"), ("Bhadbhada", "भदभदा"),
)
MOHALLAS = (
    ("Gandhi Nagar", "गांधी नगर"), ("Subhash Nagar", "सुभाष नगर"), ("Ambedkar Nagar", "अंबेडकर नगर"),
    ("Idgah Mohalla", "ईदगाह मोहल्ला"), ("Kumharpura", "कुम्हारपुरा"), ("Ganj", "गंज"),
    ("Sadar Bazar", "सदर बाज़ार"), ("Nehru Colony", "नेहरू कॉलोनी"), ("Ravidas Basti", "रविदास बस्ती"),
    ("Bhoipura", "भोईपुरा"), ("Indira Colony", "इंदिरा कॉलोनी"), ("Purani Basti", "पुरानी बस्ती"),
    ("Station Road Basti", "स्टेशन रोड बस्ती"), ("Kasaipura", "कसाईपुरा"), ("Shastri Nagar", "शास्त्री नगर"),
    ("Nai Abadi", "नई आबादी"), ("Jhuggi Basti", "झुग्गी बस्ती"), ("Mochipura", "मोचीपुरा"),
)

# (code, English, Hindi, elected)
OFFICE_KINDS = (
    ("panchayat_secretary", "Panchayat Secretary", "पंचायत सचिव", False),
    ("sarpanch", "Sarpanch", "सरपंच", True),
    ("parshad", "Parshad (Ward Councillor)", "पार्षद", True),
    ("janpad_ceo", "CEO, Janpad Panchayat", "मुख्य कार्यपालन अधिकारी, जनपद पंचायत", False),
    ("zila_ceo", "CEO, Zila Panchayat", "मुख्य कार्यपालन अधिकारी, जिला पंचायत", False),
    ("collector", "Collector", "कलेक्टर", False),
    ("district_supply_officer", "District Supply Officer", "जिला आपूर्ति अधिकारी", False),
    ("lpg_distributor", "LPG Distributor", "एलपीजी वितरक", False),
    ("social_welfare_officer", "District Social Welfare Officer", "जिला सामाजिक कल्याण अधिकारी", False),
    ("municipal_commissioner", "Municipal Commissioner (CMO)", "आयुक्त / मुख्य नगरपालिका अधिकारी", False),
    ("agriculture_officer", "Deputy Director, Agriculture", "उप संचालक, कृषि", False),
    ("cmho", "Chief Medical & Health Officer", "मुख्य चिकित्सा एवं स्वास्थ्य अधिकारी", False),
)
DISTRICT_OFFICES = (
    "zila_ceo", "collector", "district_supply_officer", "social_welfare_officer", "agriculture_officer", "cmho",
)
OFFICE_ADDRESS_HI = {
    "panchayat_secretary": "ग्राम पंचायत भवन, {area}",
    "sarpanch": "ग्राम पंचायत भवन, {area}",
    "parshad": "वार्ड कार्यालय, {area}",
    "janpad_ceo": "जनपद पंचायत कार्यालय, {area}",
    "municipal_commissioner": "नगर पालिका कार्यालय, {area}",
    "lpg_distributor": "गैस एजेंसी गोदाम, {area}",
    "zila_ceo": "जिला पंचायत कार्यालय, {area}",
    "collector": "कलेक्टर कार्यालय, संयुक्त कलेक्ट्रेट भवन, {area}",
    "district_supply_officer": "खाद्य शाखा, संयुक्त कलेक्ट्रेट भवन, {area}",
    "social_welfare_officer": "सामाजिक न्याय विभाग, संयुक्त कलेक्ट्रेट भवन, {area}",
    "agriculture_officer": "कृषि विभाग कार्यालय, {area}",
    "cmho": "सीएमएचओ कार्यालय, जिला चिकित्सालय परिसर, {area}",
}
LPG_AGENCIES = ("माँ नर्मदा इंडेन ग्रामीण वितरक", "जय अम्बे एचपी गैस एजेंसी", "किसान भारत गैस सेवा",
                "शिवशक्ति इंडेन गैस", "विंध्या एचपी ग्रामीण वितरक", "श्री गणेश भारत गैस")

SCHEMES = (
    {
        "code": "PMAY-G",
        "name_en": "Pradhan Mantri Awas Yojana – Gramin (rural housing)",
        "name_hi": "प्रधानमंत्री आवास योजना – ग्रामीण",
        "department": "Panchayat and Rural Development (पंचायत एवं ग्रामीण विकास)",
        "proof_of_delivery": "Sanction order number and first instalment credit date",
        "documents_required": "Aadhaar card (last 4 digits recorded)\nMGNREGA job card\nBank passbook\n"
                              "Samagra family ID\nAwaas+ / SECC survey entry",
        "ladder": (("panchayat_secretary", 15), ("janpad_ceo", 15), ("zila_ceo", 21), ("collector", 30)),
        "weight": 24, "rural_only": True, "benefit": (120_000, "one_time"),
    },
    {
        "code": "PMUY",
        "name_en": "Pradhan Mantri Ujjwala Yojana (LPG connection)",
        "name_hi": "प्रधानमंत्री उज्ज्वला योजना (एलपीजी कनेक्शन)",
        "department": "Food, Civil Supplies and Consumer Protection (खाद्य, नागरिक आपूर्ति एवं उपभोक्ता संरक्षण)",
        "proof_of_delivery": "LPG consumer number and date of the first refill",
        "documents_required": "KYC form signed by the woman applicant\nAadhaar card (last 4 digits recorded)\n"
                              "Ration card\nBank passbook\nPassport-size photograph",
        "ladder": (("lpg_distributor", 7), ("district_supply_officer", 15), ("collector", 21)),
        "weight": 15, "rural_only": False,
    },
    {
        "code": "AB-PMJAY",
        "name_en": "Ayushman Bharat – PM-JAY health card",
        "name_hi": "आयुष्मान भारत – प्रधानमंत्री जन आरोग्य योजना कार्ड",
        "department": "Public Health and Family Welfare (लोक स्वास्थ्य एवं परिवार कल्याण)",
        "proof_of_delivery": "Ayushman card number and date of issue",
        "documents_required": "Aadhaar card (last 4 digits recorded)\nRation card or Samagra family ID\n"
                              "Mobile number for OTP",
        "ladder": (("panchayat_secretary", 7), ("cmho", 15), ("collector", 21)),
        "weight": 15, "rural_only": False,
    },
    {
        "code": "IGNOAPS",
        "name_en": "Indira Gandhi National Old Age Pension",
        "name_hi": "इंदिरा गांधी राष्ट्रीय वृद्धावस्था पेंशन",
        "department": "Social Justice and Empowerment (सामाजिक न्याय एवं निःशक्तजन कल्याण)",
        "proof_of_delivery": "Pension sanction number and first pension credit date",
        "documents_required": "Age proof (birth certificate, school record or medical certificate)\n"
                              "BPL card or Samagra family ID\nBank passbook\nAadhaar card (last 4 digits recorded)",
        "ladder": (("panchayat_secretary", 15), ("social_welfare_officer", 21), ("collector", 30)),
        "weight": 19, "rural_only": False, "benefit": (600, "monthly"),
    },
    {
        "code": "PM-KISAN",
        "name_en": "PM-KISAN Samman Nidhi (farm income support)",
        "name_hi": "प्रधानमंत्री किसान सम्मान निधि",
        "department": "Farmer Welfare and Agriculture Development (किसान कल्याण एवं कृषि विकास)",
        "proof_of_delivery": "PM-KISAN registration number and first instalment credit date",
        "documents_required": "Land record (khasra / B-1 copy)\nAadhaar card (last 4 digits recorded)\n"
                              "Bank passbook (Aadhaar-seeded account)\ne-KYC confirmation",
        "ladder": (("panchayat_secretary", 10), ("agriculture_officer", 21), ("collector", 30)),
        "weight": 11, "rural_only": True, "benefit": (6_000, "yearly"),
    },
    {
        "code": "NFSA-RC",
        "name_en": "Ration card (National Food Security Act)",
        "name_hi": "राशन कार्ड (राष्ट्रीय खाद्य सुरक्षा अधिनियम)",
        "department": "Food, Civil Supplies and Consumer Protection (खाद्य, नागरिक आपूर्ति एवं उपभोक्ता संरक्षण)",
        "proof_of_delivery": "Ration card number and date the first ration was drawn",
        "documents_required": "Samagra family ID\nEligibility category certificate\n"
                              "Aadhaar of every family member (last 4 digits recorded)\nProof of residence",
        "ladder": (("panchayat_secretary", 10), ("district_supply_officer", 15), ("collector", 21)),
        "weight": 16, "rural_only": False,
    },
)

# (month, day), English, Hindi
FIXED_HOLIDAYS = (
    ((1, 26), "Republic Day", "गणतंत्र दिवस"),
    ((4, 14), "Dr. Ambedkar Jayanti", "डॉ. आंबेडकर जयंती"),
    ((8, 15), "Independence Day", "स्वतंत्रता दिवस"),
    ((10, 2), "Gandhi Jayanti", "गांधी जयंती"),
    ((11, 1), "Narmada Pradesh Foundation Day", "नर्मदा प्रदेश स्थापना दिवस"),
    ((12, 25), "Christmas", "क्रिसमस"),
)
# Festivals that follow the lunar calendar move every year. These dates are approximate (an
# administrator corrects them from the state's notification); a year missing here simply gets
# the fixed holidays only.
MOVABLE_HOLIDAYS = (
    ("Holi", "होली", {2025: (3, 14), 2026: (3, 4), 2027: (3, 22), 2028: (3, 11)}),
    ("Id-ul-Fitr", "ईद-उल-फ़ितर", {2025: (3, 31), 2026: (3, 21), 2027: (3, 10), 2028: (2, 27)}),
    ("Mahavir Jayanti", "महावीर जयंती", {2025: (4, 10), 2026: (3, 31), 2027: (4, 19), 2028: (4, 7)}),
    ("Good Friday", "गुड फ्राइडे", {2025: (4, 18), 2026: (4, 3), 2027: (3, 26), 2028: (4, 14)}),
    ("Id-ul-Zuha (Bakrid)", "ईद-उल-ज़ुहा (बकरीद)", {2025: (6, 7), 2026: (5, 27), 2027: (5, 17), 2028: (5, 5)}),
    ("Raksha Bandhan", "रक्षाबंधन", {2025: (8, 9), 2026: (8, 28), 2027: (8, 17), 2028: (8, 5)}),
    ("Janmashtami", "जन्माष्टमी", {2025: (8, 16), 2026: (9, 4), 2027: (8, 25), 2028: (8, 13)}),
    ("Dussehra", "दशहरा", {2025: (10, 2), 2026: (10, 20), 2027: (10, 9), 2028: (9, 27)}),
    ("Diwali", "दीपावली", {2025: (10, 20), 2026: (11, 8), 2027: (10, 29), 2028: (10, 17)}),
    ("Guru Nanak Jayanti", "गुरु नानक जयंती", {2025: (11, 5), 2026: (11, 24), 2027: (11, 14), 2028: (11, 2)}),
)

# (username, display name, role, scope: None / "state" / district index, locale)
# Every district has two supervisors (the state's and its own), so a substantiated finding
# against a sarpanch, recorded by one, can be confirmed by the other.
USERS = (
    ("admin", "Demo Administrator", Role.ADMIN, None, "en"),
    ("supervisor", "सुनीता वर्मा", Role.SUPERVISOR, "state", "hi"),
    ("supervisor1", "Arun Mehta", Role.SUPERVISOR, 0, "en"),
    ("supervisor2", "कविता सोनी", Role.SUPERVISOR, 1, "hi"),
    ("incharge1", "राजेश अहिरवार", Role.INCHARGE, 0, "hi"),
    ("incharge2", "फ़रीदा ख़ान", Role.INCHARGE, 1, "hi"),
)

# Given names come from Faker's hi_IN lists; its surnames are pan-Indian, so the households of
# a central-Indian district get surnames common there instead.
SURNAMES = (
    "यादव", "पटेल", "अहिरवार", "कुशवाहा", "लोधी", "साहू", "विश्वकर्मा", "राठौर", "ठाकुर", "चौहान",
    "मालवीय", "वर्मा", "शर्मा", "तिवारी", "मिश्रा", "बघेल", "सोलंकी", "कोरी", "केवट", "धुर्वे",
    "उइके", "मरकाम", "नेताम", "परते", "जाटव", "मीणा", "गौर", "रजक", "प्रजापति", "सेन",
)
MUSLIM_SURNAMES = ("ख़ान", "क़ुरैशी", "अंसारी", "मंसूरी", "शेख़")
MUSLIM_MALE = ("इरफ़ान", "सलीम", "रफ़ीक़", "अनवर", "शकील", "इमरान", "जावेद", "अशफ़ाक़", "नूर मोहम्मद")
MUSLIM_FEMALE = ("शबाना", "रुख़साना", "नाज़िया", "सलमा", "नसरीन", "शाहीन", "रेहाना", "ज़ुबैदा")

# How the demo cases end up, per 100: every status appears, with the escalated ones at several levels.
OUTCOMES = (
    ("identified", 8), ("documented", 9), ("submitted", 18), ("reopened", 2), ("escalated", 17),
    ("appealed", 2), ("sanctioned", 8), ("rejected", 6), ("resolved", 18), ("closed", 12),
)
OUTCOME_STATUS = {
    "identified": CaseStatus.IDENTIFIED, "documented": CaseStatus.DOCUMENTED, "submitted": CaseStatus.SUBMITTED,
    "reopened": CaseStatus.SUBMITTED, "escalated": CaseStatus.ESCALATED, "appealed": CaseStatus.ESCALATED,
    "sanctioned": CaseStatus.SANCTIONED, "rejected": CaseStatus.REJECTED, "resolved": CaseStatus.RESOLVED,
    "closed": CaseStatus.CLOSED,
}
# Stages a case plausibly reaches before being closed for each reason.
CLOSE_STAGES = {
    CloseReason.INELIGIBLE: ("identified", "documented", "rejected"),
    CloseReason.DUPLICATE: ("identified", "documented"),
    CloseReason.WITHDRAWN: ("documented", "submitted"),
    CloseReason.UNREACHABLE: ("identified", "submitted", "escalated"),
    CloseReason.DECEASED: ("documented", "submitted", "escalated"),
    CloseReason.MOVED: ("identified", "documented", "submitted"),
}
CLOSE_NOTES = {
    CloseReason.INELIGIBLE: "सत्यापन में परिवार योजना की पात्रता शर्तें पूरी नहीं करता।",
    CloseReason.DUPLICATE: "इसी लाभार्थी का इसी योजना का प्रकरण पहले से दर्ज है।",
    CloseReason.WITHDRAWN: "लाभार्थी ने आगे कार्रवाई न करने का लिखित अनुरोध किया।",
    CloseReason.UNREACHABLE: "तीन बार घर जाने और फ़ोन करने पर भी संपर्क नहीं हो सका।",
    CloseReason.DECEASED: "लाभार्थी का देहांत हो गया; परिवार को सूचित किया।",
    CloseReason.MOVED: "परिवार स्थायी रूप से दूसरे ज़िले में चला गया।",
}
ESCALATE_REASONS = (
    "निर्धारित समय-सीमा में कोई कार्रवाई नहीं हुई।",
    "तीन बार संपर्क करने पर भी आवेदन की स्थिति नहीं बताई गई।",
    "कार्यालय ने आवेदन लंबित रखा; कोई लिखित कारण नहीं दिया।",
    "समय-सीमा बीत गई; अधिकारी ने फ़ोन का जवाब नहीं दिया।",
    "बार-बार अगले सप्ताह आने को कहा गया, पर फ़ाइल आगे नहीं बढ़ी।",
)
REJECT_REASONS = (
    "पात्रता सूची (SECC 2011) में नाम नहीं मिला।",
    "बैंक खाते की आधार सीडिंग नहीं होने से आवेदन अस्वीकार।",
    "आय प्रमाण पत्र अमान्य बताया गया।",
    "समग्र आईडी में परिवार का विवरण मेल नहीं खाता।",
    "पोर्टल पर दस्तावेज़ अपूर्ण दिखाए गए।",
)
APPEAL_REASONS = (
    "अस्वीकृति का कारण गलत है; परिवार पात्रता सूची में दर्ज है, प्रति संलग्न।",
    "आधार सीडिंग पूरी हो चुकी है; बैंक का प्रमाण संलग्न कर पुनर्विचार का अनुरोध।",
)
REOPEN_REASONS = ("परिवार मज़दूरी से गाँव लौट आया; संपर्क हो गया।", "लाभार्थी ने फिर से कार्रवाई का अनुरोध किया।")
OPEN_NOTES = (
    "बस्ती सर्वे में पात्र पाया गया; अब तक लाभ नहीं मिला।",
    "घर-घर सर्वे के दौरान पहचान; परिवार ने पहले भी आवेदन किया था पर जवाब नहीं मिला।",
    "ग्राम सभा में नाम आया; दस्तावेज़ जुटाने बाकी।",
    None,
)
FOLLOW_UP_WAITING = (
    "सचिव ने कहा फ़ाइल आगे भेज दी गई है।",
    "फ़ोन नहीं उठाया; संदेश छोड़ा।",
    "अधिकारी कार्यालय में नहीं थे; बाबू ने अगले सप्ताह आने को कहा।",
    "पोर्टल पर आवेदन सत्यापन हेतु लंबित दिख रहा है।",
    "लक्ष्य (टारगेट) उपलब्ध न होने की बात कही।",
    "दस्तावेज़ दोबारा माँगे गए; उसी दिन जमा कर दिए।",
    "कोई जवाब नहीं मिला।",
    "आवेदन की पावती दिखाई; अधिकारी ने जाँच कराने को कहा।",
)
FOLLOW_UP_PROMISE = (
    "अधिकारी ने {date} तक स्वीकृति का आश्वासन दिया।",
    "बाबू ने कहा {date} तक फ़ाइल पर हस्ताक्षर हो जाएँगे।",
    "{date} तक सत्यापन पूरा करने का वादा किया।",
)
FOLLOW_UP_EARLY = (
    "सचिव से मिलकर आवश्यक दस्तावेज़ों की सूची ली।",
    "बैंक मित्र से खाते की आधार सीडिंग करवाई।",
    "समग्र आईडी में परिवार का विवरण सुधरवाने हेतु आवेदन दिया।",
    "सचिव ने ऑनलाइन आवेदन अगली बैठक में भरने को कहा।",
)
FOLLOW_UP_SANCTIONED = (
    "स्वीकृति आदेश जारी; राशि/कनेक्शन मिलने की प्रतीक्षा।",
    "अधिकारी ने बताया भुगतान फ़ाइल कोषालय भेजी गई है।",
)
FOLLOW_UP_REJECTED = (
    "अस्वीकृति का लिखित कारण माँगा; अपील की तैयारी।",
    "लाभार्थी के साथ बैठकर अपील के दस्तावेज़ जुटाए।",
)
CHANNELS = ((Channel.VISIT, 40), (Channel.PHONE, 40), (Channel.LETTER, 15), (Channel.EMAIL, 5))
APPLICATION_PREFIX = {"PMAY-G": "MP", "PMUY": "PMUY", "AB-PMJAY": "PMJAY", "IGNOAPS": "SSP",
                      "PM-KISAN": "PMK", "NFSA-RC": "NFSA"}
DELIVERY_PROOF = {
    "PMAY-G": "स्वीकृति आदेश {sanction}; पहली किस्त {day} को खाते में जमा",
    "PMUY": "एलपीजी उपभोक्ता क्र. {number}; पहली रिफ़िल {day}",
    "AB-PMJAY": "आयुष्मान कार्ड क्र. {number}, जारी दिनांक {day}",
    "IGNOAPS": "पेंशन स्वीकृति {sanction}; पहली पेंशन {day} को जमा",
    "PM-KISAN": "पंजीयन क्र. {number}; पहली किस्त {day} को जमा",
    "NFSA-RC": "राशन कार्ड क्र. {number}; पहला राशन {day} को मिला",
}
# Share of waiting cases (submitted / escalated) that the demo leaves past their due date.
OVERDUE_SHARE = 0.35

# Offices deliberately left out, as (district code, block name, office kind). The Bhimgarh block
# was added recently and two of its posts are not entered yet: its Ujjwala cases have no first
# office, and its housing cases waiting on the panchayat secretary have nowhere to escalate to,
# so the sweep lists them under "Needs configuration".
MISSING_OFFICES = (("SNP", "Bhimgarh", "lpg_distributor"), ("SNP", "Bhimgarh", "janpad_ceo"))

# Cases planned by hand on top of the random ones, so that even a small demo shows every
# outcome of the sweep and a bias report waiting for a second supervisor:
# (label, district index, block name or None for the town, scheme code, outcome, escalations, overdue)
SHOWCASE = (
    ("stalled", 0, None, "PMUY", "escalated", 2, True),  # at the top and overdue: stalled
    ("needs_configuration", 1, "Bhimgarh", "PMAY-G", "submitted", 0, True),  # no janpad CEO above
    ("swept", 0, "Kanakpur", "PMAY-G", "submitted", 0, True),  # the sweep moves it up, with a letter
    ("letters", 0, "Devgarh", "IGNOAPS", "escalated", 1, False),  # a letter sent and received
    ("bias_sarpanch", 0, "Kanakpur", "PM-KISAN", "submitted", 0, False),
    ("bias_secretary", 1, "Sonpur", "AB-PMJAY", "submitted", 0, False),
)

# History letters the in-charges have sent: one per this many cases, at least the minimum
# (each one is rendered to PDF, which takes a while, so only a few). The addressee's office
# has acknowledged every other one of them.
CASES_PER_LETTER_SENT = 50
MIN_LETTERS_SENT = 2
DISPATCH_MODES = (("hand", 50), ("registered_post", 35), ("email", 15))

# Bias reports: (showcase label, filed by, reviewer or None, accused role, kind, account,
# substantiated finding's reasons or None).
# The first is substantiated by its district's supervisor and waits for the second supervisor
# (the state's) to confirm it; the second is new, waiting to be taken for review.
BIAS_REPORTS = (
    ("bias_sarpanch", "incharge1", "supervisor1", "sarpanch", "political",
     "लाभार्थी के अनुसार सरपंच ने ग्राम सभा में कहा कि जिसने चुनाव में वोट नहीं दिया उसका नाम सूची में "
     "नहीं भेजा जाएगा; सचिव ने भी सरपंच के कहने पर आवेदन आगे नहीं बढ़ाया।",
     "दो गवाहों के बयान और ग्राम सभा की कार्यवाही पुस्तिका से पुष्टि होती है कि सरपंच ने मतदान के आधार पर "
     "नाम रोका। आरोप प्रमाणित पाया गया।"),
    ("bias_secretary", "incharge2", None, "panchayat_secretary", "bribe",
     "सचिव ने आवेदन आगे भेजने के लिए पाँच सौ रुपये माँगे; मना करने पर फ़ाइल लौटा दी।", None),
)
BIAS_WITNESSES = "पड़ोसी परिवार के दो सदस्य, ग्राम सभा की बैठक में उपस्थित।"

# The quarterly reviews (caseflow/demo/reviews.py).
REVIEW_NOTES = ("आवेदन समय पर जमा हुए और फ़ॉलो-अप नियमित रहे। एक मामले में लाभ मिलने की पुष्टि नहीं हो सकी: "
                "अगली तिमाही में उसे फिर से देखें।")
REVIEW_CHECK_NOTE = "हितग्राही ने बताया कि पहली किस्त अभी खाते में नहीं आई है।"
REVIEW_RESPONSE = "सहमत। उस मामले में जनपद कार्यालय से किस्त की स्थिति पूछ ली है।"
REVIEW_NOTES_DRAFT = "नमूने के बाकी मामलों की जाँच इस सप्ताह।"
