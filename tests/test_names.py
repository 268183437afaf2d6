"""The script-neutral name key: a name typed in Latin finds it written in Devanagari and the other
way round, in the key itself and through the queue's search."""
import re
import unicodedata

import pytest

from caseflow.beneficiaries.names import name_key, romanise
from caseflow.cases.search import search
from caseflow.extensions import db

# Common North Indian given names and surnames, each as a clerk would type it in Latin and as it
# is written in Hindi. Several Latin spellings of one name all belong here.
SAME_NAME = [
    ("Ram", "राम"), ("Sita", "सीता"), ("Sunita", "सुनीता"), ("Sunita Devi", "सुनीता देवी"),
    ("Ramesh Kumar", "रमेश कुमार"), ("Suresh", "सुरेश"), ("Mahesh", "महेश"), ("Ganesh", "गणेश"),
    ("Rajesh", "राजेश"), ("Dinesh", "दिनेश"), ("Mukesh", "मुकेश"), ("Rakesh", "राकेश"),
    ("Lakshmi", "लक्ष्मी"), ("Laxmi", "लक्ष्मी"), ("Lakshman", "लक्ष्मण"), ("Laxman", "लक्ष्मण"),
    ("Krishna", "कृष्ण"), ("Rishi", "ऋषि"), ("Pooja", "पूजा"), ("Puja", "पूजा"), ("Geeta", "गीता"),
    ("Gita", "गीता"), ("Seema", "सीमा"), ("Meena", "मीना"), ("Kamla", "कमला"), ("Kamala", "कमला"),
    ("Shanti", "शांति"), ("Shanti", "शान्ति"), ("Sanjay", "संजय"), ("Vijay", "विजय"),
    ("Anjali", "अंजलि"), ("Chhaya", "छाया"), ("Chhotu", "छोटू"), ("Yadav", "यादव"),
    ("Sharma", "शर्मा"), ("Singh", "सिंह"), ("Champa", "चंपा"), ("Shambhu", "शंभू"),
    ("Ambika", "अंबिका"), ("Gyan", "ज्ञान"), ("Gyanendra", "ज्ञानेंद्र"), ("Devendra", "देवेंद्र"),
    ("Narendra", "नरेंद्र"), ("Rekha", "रेखा"), ("Usha", "उषा"), ("Asha", "आशा"),
    ("Om Prakash", "ओम प्रकाश"), ("Ram Lal", "राम लाल"), ("Ramlal", "रामलाल"), ("Jyoti", "ज्योति"),
    ("Kavita", "कविता"), ("Savitri", "सावित्री"), ("Durga", "दुर्गा"), ("Parvati", "पार्वती"),
    ("Radha", "राधा"), ("Neha", "नेहा"), ("Bharat", "भरत"), ("Pushpa", "पुष्पा"), ("Shyam", "श्याम"),
    ("Ghanshyam", "घनश्याम"), ("Phoolwati", "फूलवती"), ("Kailash", "कैलाश"),
    ("Kaushalya", "कौशल्या"), ("Mamta", "ममता"), ("Babita", "बबीता"), ("Munni", "मुन्नी"),
    ("Bhagwati", "भगवती"), ("Bhagwan Das", "भगवान दास"), ("Santosh", "संतोष"), ("Preeti", "प्रीति"),
    ("Rahul", "राहुल"), ("Deepak", "दीपक"), ("Sushila", "सुशीला"), ("Kusum", "कुसुम"),
    ("Hari Prasad", "हरि प्रसाद"), ("Fatima", "फ़ातिमा"), ("Fatima", "फातिमा"), ("Zahid", "ज़ाहिद"),
    ("Khan", "ख़ान"), ("Khan", "खान"), ("Ghulam", "ग़ुलाम"), ("Yusuf", "यूसुफ़"), ("Gopal", "गोपाल"),
    ("Kishan", "किशन"), ("Raju", "राजू"), ("Rani", "रानी"), ("Anita", "अनीता"), ("Sarita", "सरिता"),
    ("Kalawati", "कलावती"), ("Ramvati", "रामवती"), ("Shiv Kumar", "शिव कुमार"), ("Vishnu", "विष्णु"),
    ("Manoj", "मनोज"), ("Pankaj", "पंकज"), ("Ganga", "गंगा"), ("Sangeeta", "संगीता"),
    ("Priyanka", "प्रियंका"), ("Nirmala", "निर्मला"), ("Urmila", "उर्मिला"),
    ("Dharmendra", "धर्मेंद्र"), ("Bhupendra", "भूपेंद्र"), ("Ashok", "अशोक"), ("Prem", "प्रेम"),
    ("Chandrakala", "चंद्रकला"), ("Saroj", "सरोज"), ("Pramod", "प्रमोद"), ("Gupta", "गुप्ता"),
    ("Mishra", "मिश्रा"), ("Tiwari", "तिवारी"), ("Pandey", "पांडेय"), ("Chauhan", "चौहान"),
    ("Thakur", "ठाकुर"), ("Meghwal", "मेघवाल"), ("Ahirwar", "अहिरवार"), ("Kushwaha", "कुशवाहा"),
    ("Prajapati", "प्रजापति"), ("Jatav", "जाटव"), ("Lodhi", "लोधी"), ("Patel", "पटेल"),
    ("Rajput", "राजपूत"), ("Bai", "बाई"), ("Kanwar", "कंवर"), ("Dolly", "डॉली"), ("Pinky", "पिंकी"),
    ("Guddi", "गुड्डी"), ("Sonu", "सोनू"),
]
DIFFERENT_NAMES = [("Ram", "Rama Devi"), ("Sita", "Savita"), ("Mohan", "Sohan"), ("Sinha", "Singh"),
                   ("राम", "श्याम"), ("गीता", "गीतांजलि")]


@pytest.mark.parametrize(("latin", "devanagari"), SAME_NAME)
def test_a_name_gives_one_key_in_both_scripts(latin, devanagari):
    assert name_key(latin) == name_key(devanagari)


@pytest.mark.parametrize(("one", "other"), DIFFERENT_NAMES)
def test_different_names_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


@pytest.mark.parametrize(("latin", "devanagari"), SAME_NAME)
def test_the_key_does_not_depend_on_how_the_name_was_typed(latin, devanagari):
    key = name_key(latin)
    assert re.fullmatch(r"[a-z]+( [a-z]+)*", key)
    assert name_key(f"  {latin.upper()}  ") == name_key(latin.lower()) == key
    assert name_key(latin.replace(" ", "   ")) == key
    # Keyboards and copy-paste give either Unicode form (क़ as one character or क + ़).
    assert name_key(unicodedata.normalize("NFD", devanagari)) == name_key(unicodedata.normalize("NFC", devanagari))


@pytest.mark.parametrize(("latin", "devanagari"), SAME_NAME)
def test_a_part_of_the_name_finds_the_whole(latin, devanagari):
    first = latin.split()[0]
    assert name_key(first) in name_key(f"{devanagari} देवी")
    assert name_key(devanagari.split()[0]) in name_key(f"{latin} Kumari")


def test_keys_already_stored_keep_their_meaning():
    """Keys computed before the table replaced the transliteration library (stored in databases)."""
    assert name_key("सुनीता देवी") == "sunit devi"
    assert name_key("रमेश कुमार") == "rmes kumr"
    assert name_key("Kamla Bai") == "kml bi"
    assert name_key("लक्ष्मी") == "lksmi"
    assert name_key("कृष्ण") == "krisn"


def test_each_script_is_read_as_itself_in_a_mixed_name():
    assert name_key("Mohan मोहन") == "mohn mohn"
    assert name_key("Hari हरि") == "hri hri"


def test_signs_a_latin_spelling_never_shows_leave_no_trace():
    assert romanise("दुःख") == "dukha"  # visarga
    assert name_key("क्\u200dष") == name_key("क्ष")  # zero-width joiner
    assert name_key("सोऽहम्") == name_key("सोहम")  # avagraha
    assert name_key("ढ़ाबा") == "dhb" and name_key("बड़ा") == "bd"  # one word, not "ba" + "da"


def test_empty_and_unknown_text():
    assert name_key("") == name_key(None) == name_key("   ") == ""
    assert name_key("123 ।") == ""
    assert name_key("Émile") == "emile"


def test_queue_search_finds_a_name_in_either_script(app, world):
    with app.app_context():
        sunita = world.case(person=world.person(name="सुनीता देवी"))
        ram = world.case(person=world.person(name="Ram Prasad"))
        laxmi = world.case(person=world.person(name="लक्ष्मी बाई"))
        db.session.flush()

        def found(text):
            return {hit.row.id for hit in search(world.incharge, text).hits}

        assert found("Sunita") == {sunita.id}
        assert found("राम") == {ram.id}
        assert found("Laxmi") == found("Lakshmi") == {laxmi.id}
        assert found("Pushpa") == set()
