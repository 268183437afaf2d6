"""The demo-district loader behind `flask caseflow seed-demo`.

It builds a fictional state ("Narmada Pradesh") with two districts, their offices and office
holders, six real welfare schemes with escalation ladders, a holiday calendar, four logins and
a few hundred beneficiaries and cases spread over every status of the lifecycle, each with a
plausible timeline. Every name, phone number and reference is made up.

Everything goes through the domain services, exactly as the screens would do it, so the demo
also exercises the rules; the only direct writes are the timestamps and due dates that put the
history in the past (see `_Seeder._backdate`). Runs are deterministic (fixed seeds) and
idempotent: a second run finds the demo and changes nothing. Nothing is committed here; the
CLI commits once.
"""
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from faker import Faker

from caseflow.areas import services as areas
from caseflow.areas.models import Area, AreaKind, OfficeKind
from caseflow.auth.models import Role, User
from caseflow.auth.services import create_user
from caseflow.beneficiaries import services as beneficiaries
from caseflow.beneficiaries.models import Beneficiary, Gender, LawfulBasis, Relation
from caseflow.cases import services as cases
from caseflow.cases.models import OPEN_STATUSES, WAITING_STATUSES, Case, CaseStatus, Channel, CloseReason
from caseflow.db import today, utcnow
from caseflow.extensions import db
from caseflow.holidays.services import add_working_days, create_holiday
from caseflow.schemes.models import Scheme
from caseflow.schemes.services import save_scheme, set_ladder

SEED = 2611
# Demo only: printed on the console by seed-demo, so it must never protect real data.
DEMO_PASSWORD = "demo-password-1"
IST_OFFSET = timedelta(hours=5, minutes=30)

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
        "weight": 24, "rural_only": True,
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
        "weight": 19, "rural_only": False,
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
        "weight": 11, "rural_only": True,
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
USERS = (
    ("admin", "Demo Administrator", Role.ADMIN, None, "en"),
    ("supervisor", "सुनीता वर्मा", Role.SUPERVISOR, "state", "hi"),
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


def _hi_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _calendar_days(working_days: int) -> int:
    """A rough calendar span for planning; the real due dates use the holiday calendar."""
    return math.ceil(working_days * 7 / 5) + 1


@dataclass
class _Plan:
    """One demo case worked out before anything is written, so cases can be created in date order."""

    district: int
    settlement: Area
    scheme: Scheme
    outcome: str
    steps: list[str]
    offsets: list[int]  # days after the case was opened, one per step
    age: int  # days from opening to today
    overdue: bool = False
    close_reason: CloseReason | None = None
    follow_ups: dict[int, int] = field(default_factory=dict)  # step index (-1: after opening) -> count

    @property
    def opened(self) -> date:
        return today() - timedelta(days=self.age)


class _Seeder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.fake = Faker("hi_IN")
        self.fake.seed_instance(SEED)
        self.today = today()
        self.now = utcnow()
        self.villages = list(VILLAGES)
        self.mohallas = list(MOHALLAS)
        self.rng.shuffle(self.villages)
        self.rng.shuffle(self.mohallas)
        self.kinds: dict[str, OfficeKind] = {}
        self.districts: list[Area] = []
        self.settlements: list[list[Area]] = []  # per district
        self.rural: set[int] = set()
        self.users: dict[str, User] = {}
        self.schemes: list[Scheme] = []
        self.scheme_spec: dict[int, dict] = {}
        self.people: list[list[tuple[Beneficiary, set[int]]]] = []  # per district: person, scheme ids
        self.counts: Counter = Counter()
        self.first_offices: dict[tuple[str, int], int | None] = {}
        self.due_dates: dict[tuple[date, int], date] = {}

    # --- helpers ---------------------------------------------------------------------------

    def _mobile(self) -> str:
        return self.rng.choice("6789") + "".join(self.rng.choice("0123456789") for _ in range(9))

    def _person_name(self, gender: Gender, surname: str | None = None) -> str:
        muslim = surname in MUSLIM_SURNAMES if surname else self.rng.random() < 0.1
        if surname is None:
            surname = self.rng.choice(MUSLIM_SURNAMES if muslim else SURNAMES)
        if muslim:
            given = self.rng.choice(MUSLIM_FEMALE if gender is Gender.FEMALE else MUSLIM_MALE)
        else:
            pick = self.fake.first_name_female if gender is Gender.FEMALE else self.fake.first_name_male
            given = pick()
            # Faker's lists hold a few given names that echo the surname or carry a zero-width joiner.
            while surname.startswith(given) or "\u200d" in given:
                given = pick()
        return f"{given} {surname}"

    def _weighted(self, pairs):
        items, weights = zip(*pairs, strict=True)
        return self.rng.choices(items, weights=weights)[0]

    def _stamp(self, day: date, after: datetime | None = None) -> datetime:
        """A UTC timestamp during office hours in India on `day`, later than `after`, never in the future."""
        local = datetime.combine(day, time(self.rng.randint(10, 17), self.rng.randint(0, 59)))
        stamp = local - IST_OFFSET
        if after is not None and stamp <= after:
            stamp = after + timedelta(minutes=self.rng.randint(5, 90))
        return min(stamp, self.now)

    # --- the fixed part: areas, offices, schemes, holidays, users ---------------------------

    def build_areas(self) -> None:
        state = areas.create_area(kind=AreaKind.STATE, name_en=STATE[0], name_hi=STATE[1], actor=None)
        self.state = state
        for spec in DISTRICTS:
            district = areas.create_area(kind=AreaKind.DISTRICT, name_en=spec["name"][0], name_hi=spec["name"][1],
                                         parent=state, code=spec["code"], actor=None)
            self.districts.append(district)
            places: list[Area] = []
            for block_en, block_hi in spec["blocks"]:
                block = areas.create_area(kind=AreaKind.BLOCK, name_en=block_en, name_hi=block_hi, parent=district, actor=None)
                for _ in range(self.rng.randint(3, 4)):
                    # A gram panchayat is named after its main village, which is its first settlement.
                    main_en, main_hi = self.villages.pop()
                    gp = areas.create_area(kind=AreaKind.GRAM_PANCHAYAT, name_en=main_en, name_hi=main_hi,
                                           parent=block, actor=None)
                    names = [(main_en, main_hi)] + [self.villages.pop() for _ in range(self.rng.randint(1, 2))]
                    for en, hi in names:
                        place = areas.create_area(kind=AreaKind.SETTLEMENT, name_en=en, name_hi=hi, parent=gp, actor=None)
                        places.append(place)
                        self.rural.add(place.id)
            urban = areas.create_area(kind=AreaKind.URBAN_BODY, name_en=spec["urban"][0], name_hi=spec["urban"][1],
                                      parent=district, actor=None)
            for number in sorted(self.rng.sample(range(1, 25), self.rng.randint(3, 4))):
                mohalla_en, mohalla_hi = self.mohallas.pop()
                ward = areas.create_area(kind=AreaKind.WARD, name_en=f"Ward {number} ({mohalla_en})",
                                         name_hi=f"वार्ड {number} ({mohalla_hi})", parent=urban, actor=None)
                for en, hi in ((mohalla_en, mohalla_hi), self.mohallas.pop()):
                    places.append(areas.create_area(kind=AreaKind.SETTLEMENT, name_en=en, name_hi=hi, parent=ward, actor=None))
            self.settlements.append(places)
            self.people.append([])
        self.counts["settlements"] = sum(len(p) for p in self.settlements)

    def build_offices(self) -> None:
        for code, name_en, name_hi, elected in OFFICE_KINDS:
            self.kinds[code] = areas.create_office_kind(code=code, name_en=name_en, name_hi=name_hi, elected=elected, actor=None)
        for district_index, district in enumerate(self.districts):
            for code in DISTRICT_OFFICES:
                # Two district officers prefer English correspondence, so letters in both languages show up.
                language = "en" if (district_index, code) in ((0, "cmho"), (1, "collector")) else "hi"
                self._office(district, code, language=language,
                             email=f"{code.replace('_', '.')}.{district.code.lower()}@demo.example")
            for body in self._children(district):
                if body.kind is AreaKind.BLOCK:
                    self._office(body, "janpad_ceo")
                    # Deliberately missing: no LPG distributor is configured for the second block of the
                    # second district, so Ujjwala cases there show the "needs configuration" state.
                    if not (district_index == 1 and body.name_en == DISTRICTS[1]["blocks"][1][0]):
                        self._office(body, "lpg_distributor")
                    for gp in self._children(body):
                        self._office(gp, "panchayat_secretary")
                        self._office(gp, "sarpanch")
                else:
                    self._office(body, "municipal_commissioner")
                    # Urban households get LPG connections too; without this their Ujjwala cases
                    # would have no first level at all.
                    self._office(body, "lpg_distributor")
                    for ward in self._children(body):
                        self._office(ward, "parshad")

    def _children(self, area: Area) -> list[Area]:
        return db.session.scalars(sa.select(Area).where(Area.parent_id == area.id).order_by(Area.id)).all()

    def _office(self, area: Area, code: str, *, language: str = "hi", email: str | None = None) -> None:
        gender = Gender.FEMALE if self.rng.random() < 0.3 else Gender.MALE
        holder = self._person_name(gender)
        if code == "lpg_distributor":
            holder = f"{self.rng.choice(LPG_AGENCIES)} (प्रो. {holder})"
        areas.save_office(
            area_id=area.id, kind_id=self.kinds[code].id, holder_name=holder, holder_phone=self._mobile(),
            holder_email=email, address=OFFICE_ADDRESS_HI[code].format(area=area.name_hi), language=language, actor=None
        )
        self.counts["offices"] += 1

    def build_schemes(self) -> None:
        for spec in SCHEMES:
            fields = {k: spec[k] for k in ("code", "name_en", "name_hi", "department", "proof_of_delivery",
                                           "documents_required")}
            scheme = save_scheme(**fields, actor=None)
            set_ladder(scheme, [(self.kinds[code].id, days) for code, days in spec["ladder"]], actor=None)
            self.schemes.append(scheme)
            self.scheme_spec[scheme.id] = spec

    def build_holidays(self) -> None:
        days: dict[date, tuple[str, str]] = {}
        for year in (self.today.year, self.today.year + 1):
            for (month, day), name_en, name_hi in FIXED_HOLIDAYS:
                days[date(year, month, day)] = (name_en, name_hi)
            for name_en, name_hi, dates in MOVABLE_HOLIDAYS:
                if year in dates:
                    when = date(year, *dates[year])
                    if when in days:  # two holidays on one day (Dussehra on Gandhi Jayanti in 2025)
                        name_en, name_hi = f"{days[when][0]} / {name_en}", f"{days[when][1]} / {name_hi}"
                    days[when] = (name_en, name_hi)
        for when in sorted(days):
            create_holiday(when, *days[when], actor=None)
        self.counts["holidays"] = len(days)

    def build_users(self) -> None:
        for username, display_name, role, scope, locale in USERS:
            scope_areas = [] if scope is None else [self.state] if scope == "state" else [self.districts[scope]]
            self.users[username] = create_user(
                username=username, display_name=display_name, password=DEMO_PASSWORD, role=role,
                areas=scope_areas, locale=locale, phone=None if role is Role.ADMIN else self._mobile(), actor=None
            )

    # --- planning the cases -----------------------------------------------------------------

    def _outcomes(self, n: int) -> list[str]:
        """Exactly `n` outcomes in the OUTCOMES proportions, with every outcome present when n allows."""
        total = sum(w for _, w in OUTCOMES)
        exact = {name: n * w / total for name, w in OUTCOMES}
        quota = {name: int(v) for name, v in exact.items()}
        for name in sorted(exact, key=lambda k: exact[k] - quota[k], reverse=True)[: n - sum(quota.values())]:
            quota[name] += 1
        for name in quota:
            if quota[name] == 0 and n >= len(OUTCOMES):
                donor = max(quota, key=quota.get)
                quota[donor] -= 1
                quota[name] += 1
        result = [name for name, count in quota.items() for _ in range(count)]
        self.rng.shuffle(result)
        return result

    def _escalations(self, scheme: Scheme, most: int) -> int:
        most = min(most, scheme.top_level - 1)
        weights = (0.55, 0.3, 0.15)[:most]
        return self.rng.choices(range(1, most + 1), weights=weights)[0]

    def _steps(self, outcome: str, scheme: Scheme, close_reason: CloseReason | None) -> list[str]:
        applied = ["verify", "submit"]
        if outcome == "identified":
            return []
        if outcome == "documented":
            return ["verify"]
        if outcome == "submitted":
            return applied
        if outcome == "reopened":
            return applied + ["close", "reopen"]
        if outcome == "escalated":
            return applied + ["escalate"] * self._escalations(scheme, 3)
        if outcome == "appealed":
            return applied + ["reject", "appeal"]
        if outcome == "sanctioned":
            return applied + ["escalate"] * self.rng.choice((0, 0, 1, 2)) + ["sanction"]
        if outcome == "rejected":
            return applied + ["escalate"] * self.rng.choice((0, 0, 1)) + ["reject"]
        if outcome == "resolved":
            return applied + ["escalate"] * self.rng.choice((0, 0, 0, 1, 2)) + ["sanction", "deliver"]
        stage = self.rng.choice(CLOSE_STAGES[close_reason])
        before = {"identified": [], "documented": ["verify"], "submitted": applied,
                  "escalated": applied + ["escalate"], "rejected": applied + ["reject"]}[stage]
        return before + ["close"]

    def _offsets(self, steps: list[str], scheme: Scheme) -> tuple[list[int], int]:
        """Day offsets of each step after opening, and the ladder level the case ends at."""
        day, level, offsets = 0, 0, []
        for trigger in steps:
            limit = _calendar_days(scheme.level(level).time_limit_days) if level else 0
            if trigger == "verify":
                gap = self.rng.randint(3, 25)
            elif trigger == "submit":
                gap = self.rng.randint(2, 20)
            elif trigger == "escalate":
                # Escalations happen once the level's time has run out, as the sweep does it.
                gap = limit + self.rng.randint(1, 6)
            elif trigger == "sanction":
                gap = self.rng.randint(5, limit + 5)
            elif trigger == "reject":
                gap = self.rng.randint(5, limit)
            elif trigger == "deliver":
                gap = self.rng.randint(7, 40)
            elif trigger == "close":
                gap = self.rng.randint(2, 30)
            else:  # appeal, reopen
                gap = self.rng.randint(3, 25)
            day += gap
            offsets.append(day)
            if trigger == "submit":
                level = 1
            elif trigger in ("escalate", "appeal"):
                level += 1
        return offsets, level

    def plan(self, n_cases: int) -> list[_Plan]:
        plans = []
        reasons = list(CloseReason)
        self.rng.shuffle(reasons)
        closed_seen = 0
        for outcome in self._outcomes(n_cases):
            district = self.rng.randrange(len(self.districts))
            settlement = self.rng.choice(self.settlements[district])
            rural = settlement.id in self.rural
            scheme = self._weighted(
                [(s, self.scheme_spec[s.id]["weight"]) for s in self.schemes
                 if rural or not self.scheme_spec[s.id]["rural_only"]]
            )
            close_reason = None
            if outcome == "closed":
                # Round-robin, so even a small demo shows every close reason.
                close_reason = reasons[closed_seen % len(reasons)]
                closed_seen += 1
            steps = self._steps(outcome, scheme, close_reason)
            offsets, level = self._offsets(steps, scheme)
            status = OUTCOME_STATUS[outcome]
            overdue = False
            if status in WAITING_STATUSES:
                window = _calendar_days(scheme.level(level).time_limit_days)
                overdue = self.rng.random() < OVERDUE_SHARE
                tail = window + self.rng.randint(2, 25) if overdue else self.rng.randint(0, max(0, window - 4))
            elif status in (CaseStatus.IDENTIFIED, CaseStatus.DOCUMENTED):
                tail = self.rng.randint(0, 30)
            elif status in (CaseStatus.SANCTIONED, CaseStatus.REJECTED):
                tail = self.rng.randint(0, 25)
            else:
                tail = self.rng.randint(0, 90)
            plan = _Plan(district, settlement, scheme, outcome, steps, offsets, (offsets[-1] if offsets else 0) + tail,
                         overdue=overdue, close_reason=close_reason)
            self._plan_follow_ups(plan, status)
            plans.append(plan)
        # Opening the oldest first makes the references run in date order, as they would have.
        plans.sort(key=lambda p: p.opened)
        return plans

    def _plan_follow_ups(self, plan: _Plan, final: CaseStatus) -> None:
        """Spread 1-3 follow-ups over the stages where an open case was waiting on someone."""
        statuses, status = [], CaseStatus.IDENTIFIED
        statuses.append(status)
        for trigger in plan.steps:
            status = {"verify": CaseStatus.DOCUMENTED, "submit": CaseStatus.SUBMITTED,
                      "escalate": CaseStatus.ESCALATED, "appeal": CaseStatus.ESCALATED,
                      "sanction": CaseStatus.SANCTIONED, "reject": CaseStatus.REJECTED,
                      "deliver": CaseStatus.RESOLVED, "close": CaseStatus.CLOSED,
                      "reopen": CaseStatus.SUBMITTED}[trigger]
            statuses.append(status)
        open_stages = [i - 1 for i, s in enumerate(statuses) if s in OPEN_STATUSES]
        if final in OPEN_STATUSES:
            count = self.rng.randint(1, 3)
            chosen = [len(plan.steps) - 1] + self.rng.choices(open_stages, k=count - 1)
        else:
            chosen = self.rng.choices(open_stages, k=self.rng.randint(0, 2)) if open_stages else []
        for stage in chosen:
            plan.follow_ups[stage] = plan.follow_ups.get(stage, 0) + 1

    # --- writing the cases --------------------------------------------------------------------

    def _fits(self, person: Beneficiary, scheme: Scheme) -> bool:
        spec = self.scheme_spec[scheme.id]
        if spec["rural_only"] and person.settlement_id not in self.rural:
            return False
        if scheme.code == "PMUY" and person.gender is not Gender.FEMALE:
            return False
        if scheme.code == "IGNOAPS" and (person.birth_year or self.today.year) > self.today.year - 60:
            return False
        return not (scheme.code == "NFSA-RC" and person.ration_card_no)

    def _beneficiary(self, plan: _Plan, actor: User) -> tuple[Beneficiary, bool]:
        # Some households are followed up for a second scheme.
        if self.rng.random() < 0.15:
            candidates = [(p, s) for p, s in self.people[plan.district]
                          if plan.scheme.id not in s and self._fits(p, plan.scheme)]
            if candidates:
                person, schemes = self.rng.choice(candidates)
                schemes.add(plan.scheme.id)
                return person, False
        code = plan.scheme.code
        if code == "PMUY":
            gender = Gender.FEMALE
        elif code == "PM-KISAN":
            gender = Gender.MALE if self.rng.random() < 0.85 else Gender.FEMALE
        else:
            gender = self._weighted(((Gender.FEMALE, 55), (Gender.MALE, 44), (Gender.OTHER, 1)))
        age = self.rng.randint(60, 88) if code == "IGNOAPS" else self.rng.randint(19, 72)
        name = self._person_name(gender)
        surname = name.rsplit(" ", 1)[1]
        if gender is Gender.FEMALE and age > 22 and self.rng.random() < 0.8:
            relation, relative = Relation.HUSBAND, self._person_name(Gender.MALE, surname)
        else:
            relation, relative = Relation.FATHER, self._person_name(Gender.MALE, surname)
        basis = self._weighted(((LawfulBasis.WRITTEN_CONSENT, 70), (LawfulBasis.ORAL_CONSENT, 25),
                                (LawfulBasis.GUARDIAN_CONSENT, 5 if age >= 75 else 0)))
        consent = {
            LawfulBasis.WRITTEN_CONSENT: "सर्वे के दौरान लाभार्थी ने सहमति पत्र पर हस्ताक्षर/अंगूठा लगाया; पत्र फ़ाइल में।",
            LawfulBasis.ORAL_CONSENT: "लाभार्थी ने गवाह के सामने मौखिक सहमति दी; गवाह का नाम रजिस्टर में।",
            LawfulBasis.GUARDIAN_CONSENT: "लाभार्थी अस्वस्थ; पुत्र ने अभिभावक के रूप में लिखित सहमति दी।",
        }[basis]
        mobile = None
        if self.rng.random() < 0.85:
            mobile = self._mobile()
            if self.rng.random() < 0.2:
                mobile = f"+91 {mobile[:5]}-{mobile[5:]}"  # as people write it; register() normalises
        rural = plan.settlement.id in self.rural
        address = (f"मकान नं. {self.rng.randint(1, 240)}, ग्राम {plan.settlement.name_hi}" if rural
                   else f"मकान नं. {self.rng.randint(1, 480)}, गली नं. {self.rng.randint(1, 12)}, {plan.settlement.name_hi}")
        ration = None
        if code != "NFSA-RC" and self.rng.random() < 0.5:
            ration = f"RC/{self.districts[plan.district].code}/{self.rng.randint(100000, 999999)}"
        person = beneficiaries.register(
            actor, plan.settlement,
            name=name, relative_name=relative, relation=relation, gender=gender,
            birth_year=self.today.year - age, mobile=mobile, address=address,
            preferred_language="en" if self.rng.random() < 0.02 else "hi",
            # The last four digits only: a demo must never even look like it holds a full number.
            aadhaar=f"{self.rng.randint(0, 9999):04d}" if self.rng.random() < 0.8 else None,
            ration_card_no=ration, lawful_basis=basis, consent_note=consent,
        )
        self.people[plan.district].append((person, {plan.scheme.id}))
        self.counts["beneficiaries"] += 1
        return person, True

    def _data(self, case: Case, plan: _Plan, trigger: str, day: date) -> dict:
        code = plan.scheme.code
        year = day.year
        if trigger == "submit":
            data = {"application_ref": f"{APPLICATION_PREFIX[code]}{self.rng.randint(10**6, 10**7 - 1)}",
                    "application_date": day}
            if self.rng.random() < 0.15:
                data["grievance_ref"] = f"CMH/{year}/{self.rng.randint(10**7, 10**8 - 1)}"
            return data
        if trigger == "escalate":
            return {"reason": self.rng.choice(ESCALATE_REASONS)}
        if trigger == "sanction":
            return {"sanction_ref": f"{code}/{case.reference.split('/')[0]}/{year}/{self.rng.randint(100, 9999):04d}",
                    "sanction_date": day}
        if trigger == "reject":
            return {"reason": self.rng.choice(REJECT_REASONS)}
        if trigger == "appeal":
            return {"reason": self.rng.choice(APPEAL_REASONS)}
        if trigger == "deliver":
            proof = DELIVERY_PROOF[code].format(sanction=case.sanction_ref, day=_hi_date(day),
                                                number=self.rng.randint(10**7, 10**8 - 1))
            return {"proof_of_delivery": proof, "delivered_on": day, "beneficiary_confirmed": True}
        if trigger == "close":
            if plan.outcome == "reopened":
                return {"close_reason": CloseReason.UNREACHABLE, "reason": "परिवार मज़दूरी के लिए पलायन पर; संपर्क नहीं।"}
            return {"close_reason": plan.close_reason, "reason": CLOSE_NOTES[plan.close_reason]}
        if trigger == "reopen":
            return {"reason": self.rng.choice(REOPEN_REASONS)}
        return {}

    def _follow_up(self, case: Case, plan: _Plan, actor: User, promise: bool) -> None:
        status = case.status
        office_id = case.office_id
        if status in (CaseStatus.IDENTIFIED, CaseStatus.DOCUMENTED):
            # Before submission the in-charge deals with whoever takes the application.
            office_id = self._first_office(case, plan.scheme)
            response = self.rng.choice(FOLLOW_UP_EARLY)
        elif status is CaseStatus.SANCTIONED:
            response = self.rng.choice(FOLLOW_UP_SANCTIONED)
        elif status is CaseStatus.REJECTED:
            response = self.rng.choice(FOLLOW_UP_REJECTED)
        else:
            response = self.rng.choice(FOLLOW_UP_WAITING)
        promised = None
        if promise:
            promised = self.today + timedelta(days=self.rng.randint(3, 20))
            response = self.rng.choice(FOLLOW_UP_PROMISE).format(date=_hi_date(promised))
        cases.log_follow_up(case, actor, expected_version=case.version, channel=self._weighted(CHANNELS),
                            response=response, office_id=office_id, promised_date=promised)
        self.counts["follow_ups"] += 1

    def _first_office(self, case: Case, scheme: Scheme) -> int | None:
        key = (case.area_path, scheme.id)
        if key not in self.first_offices:
            first = scheme.level(1)
            with db.session.no_autoflush:
                office = areas.resolve_office(case.area_path, first.office_kind_id) if first else None
            self.first_offices[key] = office.id if office else None
        return self.first_offices[key]

    def _due(self, day: date, working_days: int) -> date:
        key = (day, working_days)
        if key not in self.due_dates:
            with db.session.no_autoflush:
                self.due_dates[key] = add_working_days(day, working_days)
        return self.due_dates[key]

    def _backdate(self, case: Case, person: Beneficiary | None, stamps: list[datetime],
                  verified: datetime | None, due: date | None) -> None:
        """Move a case the services just wrote back to the days its demo history says things happened.

        Only the demo does this: services stamp "now" and compute due dates from today, but a
        demo needs a history that happened in the past, including cases that are now overdue.
        It runs once per case, after the last service call, so these writes ride along with the
        next service flush instead of adding one per step.
        """
        if person is not None:
            person.created_at = person.consent_recorded_at = stamps[0] - timedelta(minutes=self.rng.randint(10, 60))
        with db.session.no_autoflush:
            events = list(case.events)
        for event, at in zip(events, stamps, strict=True):
            event.at = at
        case.created_at = stamps[0]
        case.updated_at = stamps[-1]
        if verified is not None:
            case.verified_at = verified
        if due is not None:
            case.due_date = due
        if case.ended_at is not None:
            case.ended_at = stamps[-1]  # nothing is logged on an ended case, so its last event ended it

    def write_case(self, plan: _Plan) -> None:
        actor = self.users[f"incharge{plan.district + 1}"]
        opened = plan.opened
        person, is_new = self._beneficiary(plan, actor)
        plan.settlement = person.settlement
        case = cases.open_case(actor, person, plan.scheme, note=self.rng.choice(OPEN_NOTES))
        last = self._stamp(opened)
        stamps, verified, due = [last], None, None
        for stage in range(-1, len(plan.steps)):
            if stage >= 0:
                trigger = plan.steps[stage]
                day = opened + timedelta(days=plan.offsets[stage])
                last = self._stamp(day, last)
                step_actor = actor
                if trigger == "escalate" and case.level + 1 == plan.scheme.top_level and self.rng.random() < 0.5:
                    step_actor = self.users["supervisor"]  # the supervisor often takes a case to the top
                cases.transition(case, step_actor, trigger, self._data(case, plan, trigger, day),
                                 expected_version=case.version)
                stamps.append(last)
                if trigger == "verify":
                    verified = last
                if case.status in WAITING_STATUSES and trigger in ("submit", "escalate", "appeal", "reopen"):
                    due = self._due(day, case.scheme.level(case.level).time_limit_days)
            start = plan.offsets[stage] if stage >= 0 else 0
            end = plan.offsets[stage + 1] if stage + 1 < len(plan.steps) else plan.age
            count = plan.follow_ups.get(stage, 0)
            for n, offset in enumerate(sorted(self.rng.randint(start, end) for _ in range(count))):
                last = self._stamp(opened + timedelta(days=offset), last)
                is_final_stage = stage == len(plan.steps) - 1
                promise = (is_final_stage and n == count - 1 and not plan.overdue
                           and case.status in (*WAITING_STATUSES, CaseStatus.SANCTIONED)
                           and self.rng.random() < 0.45)
                self._follow_up(case, plan, actor, promise)
                stamps.append(last)
                if promise and case.status in WAITING_STATUSES:
                    due = None  # the promised date, set by the service, is the due date now
        self._backdate(case, person if is_new else None, stamps, verified, due)
        self.counts["cases"] += 1


def is_loaded() -> bool:
    """Whether the demo state (or a user named admin, which the demo would clash with) exists."""
    return _already_loaded()


def _already_loaded() -> bool:
    admin = db.session.scalar(sa.select(User.id).where(User.username == "admin"))
    state = db.session.scalar(
        sa.select(Area.id).where(Area.parent_id.is_(None), Area.name_en == STATE[0])
    )
    return bool(admin or state)


def seed(n_cases: int = 300) -> str:
    """Create the demo state and return a one-line summary, or "" if it is already there."""
    if _already_loaded():
        return ""
    seeder = _Seeder()
    seeder.build_areas()
    seeder.build_offices()
    seeder.build_schemes()
    seeder.build_holidays()
    seeder.build_users()
    for plan in seeder.plan(max(0, n_cases)):
        seeder.write_case(plan)
    db.session.flush()
    by_status = dict(
        db.session.execute(sa.select(Case.status, sa.func.count()).group_by(Case.status)).all()
    )
    statuses = ", ".join(f"{status.value} {by_status[status]}" for status in CaseStatus if status in by_status)
    statuses = f" ({statuses})" if statuses else ""
    c = seeder.counts
    return (
        f"{len(seeder.districts)} districts, {c['settlements']} settlements, {c['offices']} offices, "
        f"{len(seeder.schemes)} schemes, {c['holidays']} holidays, {len(USERS)} users, "
        f"{c['beneficiaries']} beneficiaries, {c['cases']} cases{statuses}, {c['follow_ups']} follow-ups"
    )


def print_logins(echo) -> None:
    """Print the demo logins (all share one password) with `echo`, e.g. click.echo."""
    state = db.session.scalar(sa.select(Area).where(Area.parent_id.is_(None), Area.name_en == STATE[0]))
    if state is None:
        echo("This database holds no demo data, so the demo logins do not apply to it.")
        return
    districts = {d.code: d for d in db.session.scalars(sa.select(Area).where(Area.parent_id == state.id))}
    rows = [("username", "password", "role", "area")]
    for username, _name, role, scope, _locale in USERS:
        if scope is None:
            area = "-"
        elif scope == "state":
            area = state.name_en
        else:
            code = DISTRICTS[scope]["code"]
            area = f"{districts[code].name_en} ({code})" if code in districts else code
        rows.append((username, DEMO_PASSWORD, role.value, area))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    echo("Demo logins. These are DEMO CREDENTIALS, printed in the clear: use them on a trial")
    echo("database only, never on one that holds real people's data.")
    for row in rows:
        echo("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
