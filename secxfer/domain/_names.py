"""Name and address material for the sample generator (fictitious combinations).

Names are written as on a passport's Latin line: upper case, family name first as
the agency records them. Weights roughly follow the nationalities of Specified
Skilled Workers (Vietnam about half, then Indonesia, the Philippines, Myanmar, …).
No entry is a real person; the generator combines common parts at random.
"""

from __future__ import annotations

from typing import NamedTuple


class Nationality(NamedTuple):
    name: str
    weight: float
    family: tuple[str, ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    given_parts: tuple[int, int]  # how many given names (min, max)
    middle_male: tuple[str, ...] = ()
    middle_female: tuple[str, ...] = ()


def _words(text: str) -> tuple[str, ...]:
    # "_" joins the words of one multi-word part ("DELA_CRUZ" is written "DELA CRUZ").
    return tuple(word.replace("_", " ") for word in text.split())


NATIONALITIES: tuple[Nationality, ...] = (
    Nationality(
        "Vietnam", 50.0,
        _words("NGUYEN TRAN LE PHAM HOANG HUYNH PHAN VU VO DANG BUI DO HO NGO DUONG LY DINH TRINH LUONG MAI"),
        _words("ANH HUNG DUNG TUAN NAM HIEU QUANG SON LONG HAI KHANH MINH DUC THANG PHUC TRUNG VIET HOANG BAO"),
        _words("LINH TRANG HUONG THAO MAI LAN PHUONG HANG NHUNG NGOC YEN THUY HOA VY TRAM DUNG HIEN OANH"),
        (1, 2),
        _words("VAN DUC MINH HUU QUOC THANH CONG XUAN DINH"),
        _words("THI NGOC THU KIM HONG MY BICH THANH"),
    ),
    Nationality(
        "Indonesia", 15.0,
        _words("SAPUTRA PRATAMA HIDAYAT NUGROHO SETIAWAN WIJAYA KURNIAWAN SANTOSO RAHMAN SUSANTO HARAHAP "
               "SIREGAR NASUTION LUBIS PURNOMO WIBOWO FIRMANSYAH RAMADHAN"),
        _words("MUHAMMAD RIZKY AHMAD ANDI BUDI DIMAS FAJAR AGUS ARIF YOGA ILHAM REZA BAGUS EKO DWI ADITYA"),
        _words("SITI DEWI AYU PUTRI NUR INDAH RINA FITRI WULAN LESTARI NOVITA SRI RATNA MAYA INTAN"),
        (1, 3),
    ),
    Nationality(
        "Philippines", 10.0,
        _words("DELA_CRUZ SANTOS REYES GARCIA MENDOZA BAUTISTA VILLANUEVA RAMOS AQUINO CASTILLO FERNANDEZ "
               "DE_GUZMAN NAVARRO TORRES GONZALES MERCADO SORIANO DIMAGIBA"),
        _words("JUAN JOSE MARK JOHN MICHAEL JAYSON CHRISTIAN RENATO ROMMEL JERICHO ARNEL JEFFREY"),
        _words("MARIA ANA KRISTINE JOY ROSALIE MARICEL JENNIFER CHERRY LOVELY ANGELICA GRACE MARY-ANN"),
        (1, 3),
        _words("SANTOS REYES CRUZ GARCIA BAUTISTA"),
        _words("SANTOS REYES CRUZ GARCIA BAUTISTA"),
    ),
    Nationality(
        "Myanmar", 8.0,
        (),
        _words("AUNG KYAW MIN ZAW HTET NAING THANT WIN LIN HTUN MYO KO SOE OO THURA ZAW"),
        _words("THIN AYE MYA SU HNIN PHYU NWE KHIN MOE SANDAR EI WAI YADANAR THIDA ZIN"),
        (2, 4),
    ),
    Nationality(
        "China", 5.0,
        _words("WANG LI ZHANG LIU CHEN YANG HUANG ZHAO WU ZHOU XU SUN MA ZHU HU GUO HE LIN"),
        _words("WEI JUN HAO LEI QIANG MING JIANGUO ZHIWEI XIAOLONG YUFENG HAOYU ZIHAN"),
        _words("NA FANG JING LI YAN XIAOHONG MEILING YUTING XINYI LIXIA HUIMIN"),
        (1, 1),
    ),
    Nationality(
        "Nepal", 3.0,
        _words("GURUNG TAMANG SHRESTHA MAGAR RAI THAPA LIMBU SHERPA ADHIKARI KC BHANDARI POUDEL KHADKA"),
        _words("BISHNU RAM HARI KRISHNA SURESH RAJESH BIKASH SANTOSH DIPAK PRAKASH"),
        _words("SITA GITA ANJALI SUNITA PURNIMA SABITA RITA KABITA SARASWATI"),
        (1, 2),
        _words("BAHADUR PRASAD KUMAR"),
        _words("KUMARI DEVI MAYA"),
    ),
    Nationality(
        "Thailand", 2.5,
        _words("SRISUKSAWAT CHAROENPHONPHANICH WONGSAWAT PHANTHONG SAENGTHONG KAEWKHAM BOONYARAT "
               "THONGKHAM SUKSAWAT CHAIYAPHUM RATTANAPHONG"),
        _words("SOMCHAI SOMSAK ANUCHA PRASERT WICHAI NATTAPONG KITTIPONG THANAWAT"),
        _words("KANYARAT SUPAPORN WANNAPA NATTHAYA PATCHARIN SIRIPORN RATCHANEE"),
        (1, 1),
    ),
    Nationality(
        "Cambodia", 2.0,
        _words("SOK CHAN KIM LIM HENG CHEA SENG PHAN MEAS OUK"),
        _words("DARA VANNAK SOPHEAK RITHY VISAL PISETH BORA SAMNANG"),
        _words("SOPHEAP SREYNEANG CHANTHA SREYMOM BOPHA DALIN SOKHA"),
        (1, 1),
    ),
    Nationality(
        "Mongolia", 1.0,
        _words("BATBAYAR GANBOLD ERDENEBAT TSEND DORJ BOLD ENKHBAYAR OCHIR"),
        _words("BAT-ERDENE TEMUULEN GANZORIG ENKHTUVSHIN MUNKH-OCHIR BILGUUN"),
        _words("TSETSEGMAA OYUNCHIMEG ENKHJARGAL SARANTUYA NOMIN ANUJIN"),
        (1, 1),
    ),
    Nationality(
        "Sri Lanka", 1.0,
        _words("WIJESINGHE_MUDIYANSELAGE PERERA FERNANDO SILVA JAYASINGHE RATHNAYAKE HERATH_MUDIYANSELAGE "
               "DISSANAYAKE WICKRAMASINGHE GUNAWARDENA"),
        _words("NIMAL KASUN CHAMARA SAMAN THARINDU DILSHAN RUWAN PRASANNA"),
        _words("NADEESHA CHATHURIKA DILHANI SACHINI NIROSHA KAUSHALYA"),
        (2, 3),
    ),
    Nationality(
        "Uzbekistan", 0.5,
        _words("KARIMOV YUSUPOV RAKHIMOV TURSUNOV ABDULLAEV SAIDOV ISMOILOV NAZAROV"),
        _words("AKMAL BEKZOD JASUR SARDOR OTABEK DILSHOD RUSTAM SHERZOD"),
        _words("DILNOZA MALIKA NIGORA SHAKHNOZA GULNORA ZARINA"),
        (1, 2),
    ),
)

# Parts of Japanese place names (町名) to make addresses look plausible.
TOWN_NAMES: tuple[str, ...] = _words(
    "本町 中央 栄町 旭町 緑町 若葉 東町 西町 南町 北町 新町 寿町 幸町 桜町 松原 大町 宮前 青葉台 朝日町 "
    "富士見 日の出町 港町 元町 昭和町 平和町 山手町 泉町 錦町 花園 浜町 駅前 城東 城西 上町 下町 柳町 "
    "住吉 春日 八幡 稲荷町 川端町 野田 石川町 田町 緑が丘 つつじが丘 みどり台 清水 松山 竹の塚 梅田"
)
BUILDINGS: tuple[str, ...] = _words(
    "ハイツ コーポ レジデンス マンション ハイム メゾン 荘 寮 社員寮 アパート"
)
BUILDING_PREFIXES: tuple[str, ...] = _words("サンライズ グリーン さくら 第二 エクセル フォレスト 朝日 ひまわり 中央 ニュー")
