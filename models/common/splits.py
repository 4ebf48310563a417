"""What the training code may use, what is held out, and every item's licence and credit.

Each entry is a dict: name (unique id), path (absolute, or relative to SHARED/media), kind,
source, licence, credit; Debian items also have `package` (their version is recorded by
models/data/build.py in cache/manifest.json and models/data/MANIFEST.md).

Held out from ALL training (the eval uses them, or their licence forbids training):
  clips  iot_headpose_male.mp4, iot_asl_again.mkv (eval default real clips), iot_asl_book.mkv,
         iot_one_by_one_person_detection.mp4 (unseen-split clips), opencv_vtest.avi (sample:
         tests only)
  photos kde_path, kde_bythewater (the eval's synthetic clips), every dps_* (academic licence),
         opencv_* (sample: tests only), frames of held-out clips (iot_*_f*.jpg, iot_*_t*.jpg)
  styles kde_eveningglow, kde_darkesthour (eval default pair), kde_summer_1am, skimage_coffee
         (unseen-split pair), every dps_* (academic)
  and the Debian originals of the held-out KDE images (plasma-workspace-wallpapers Path,
  BytheWater, EveningGlow, DarkestHour, summer_1am), which are never read.
VAL_* is a small validation split carved out of the trainable pool (never trained on when
split='train', never eval media): one training clip and four Debian photographs.
"""
import os

from .paths import MEDIA

IOT = ("Intel IoT DevKit sample-videos (github.com/intel-iot-devkit/sample-videos, "
       "commit 57978890822836f2b4743852f04f62fc511757e4)")
CC_BY_4 = "CC-BY-4.0"
KDE_PKG = "plasma-workspace-wallpapers"
KDE_LIC = "LGPL-3.0 (metadata.json; Debian copyright: GPL-2+)"
MATE_PKG = "mate-backgrounds"
LOMIRI16 = "lomiri-wallpapers-16.04"
LOMIRI20 = "lomiri-wallpapers-20.04"
SKIMAGE = "Debian python3-skimage 0.19.3-8, skimage/data (copy in ../shared/media)"


def _e(name, path, kind, source, licence, credit, **kw):
    d = dict(name=name, path=path, kind=kind, source=source, licence=licence, credit=credit)
    d.update(kw)
    return d


def _clip(stem, content="one man, upper body, signing ASL in an office; 640x480 30 fps"):
    return _e(stem, f"clips/{stem}.mkv", "clip", IOT + ", asl_gestures/" + stem[8:] + ".mkv",
              CC_BY_4, "Intel IoT DevKit sample-videos, CC BY 4.0", content=content)


def _kde(name, folder, author, licence=KDE_LIC, note=None):
    d = _e(name, f"/usr/share/wallpapers/{folder}/contents/images/", "photo",
           f"Debian {KDE_PKG}, /usr/share/wallpapers/{folder} (largest image)", licence,
           f"{folder} by {author} (KDE Plasma wallpapers), {licence.split(' ')[0]}",
           package=KDE_PKG)
    if note:
        d["note"] = note
    return d


def _mate(name, rel, author):
    return _e(name, f"/usr/share/backgrounds/mate/{rel}", "photo",
              f"Debian {MATE_PKG}, /usr/share/backgrounds/mate/{rel}", "GPL-2+",
              f"{os.path.basename(rel)} by {author} (MATE backgrounds), GPL-2+", package=MATE_PKG)


def _lomiri(name, file, author, licence, pkg=LOMIRI16):
    return _e(name, f"/usr/share/backgrounds/{file}", "photo",
              f"Debian {pkg}, /usr/share/backgrounds/{file}", licence,
              f"{file} by {author} (Lomiri wallpapers), {licence}", package=pkg)


# ---- clips ------------------------------------------------------------------------------
TRAIN_CLIPS = [_clip(f"iot_asl_{w}") for w in
               ("brother", "eat", "help", "milk", "please", "school", "sister")]
VAL_CLIPS = [_clip("iot_asl_walk")]
HELDOUT_CLIPS = [
    _clip("iot_asl_again"),
    _clip("iot_asl_book"),
    _e("iot_headpose_male", "clips/iot_headpose_male.mp4", "clip",
       IOT + ", preview/head-pose-face-detection-male.gif", CC_BY_4,
       "Intel IoT DevKit sample-videos, CC BY 4.0", why="eval default real clip"),
    _e("iot_one_by_one_person_detection", "clips/iot_one_by_one_person_detection.mp4", "clip",
       IOT + ", one-by-one-person-detection.mp4", CC_BY_4,
       "Intel IoT DevKit sample-videos, CC BY 4.0", why="eval unseen-split clip"),
    _e("opencv_vtest", "clips/opencv_vtest.avi", "clip", "Debian opencv-doc 4.6.0", "sample",
       "OpenCV sample data", why="sample licence: tests only"),
]
HELDOUT_CLIPS[0]["why"] = "eval default real clip"
HELDOUT_CLIPS[1]["why"] = "eval unseen-split clip"

# ---- photos -----------------------------------------------------------------------------
_SKIMAGE_PHOTOS = [
    _e("skimage_astronaut", "photos/skimage_astronaut.jpg", "photo", SKIMAGE + ", astronaut.png",
       "public domain (NASA)", "Eileen Collins, NASA (public domain)", person=True),
    _e("skimage_camera", "photos/skimage_camera.png", "photo", SKIMAGE + ", camera.png",
       "CC0-1.0", "Lav Varshney (CC0)", person=True),
    _e("skimage_chelsea", "photos/skimage_chelsea.jpg", "photo", SKIMAGE + ", chelsea.png",
       "CC0-1.0", "Stefan van der Walt (CC0)"),
]
_DEBIAN_PHOTOS = [
    _kde("kde_coldripple", "ColdRipple", "Risto Saukonpää"),
    _kde("kde_colorfulcups", "ColorfulCups", "Dmitri Popov"),
    _kde("kde_fallenleaf_wp", "FallenLeaf", "Martin Klapetek"),
    _kde("kde_grey", "Grey", "Sigi Sagi"),
    _kde("kde_kite", "Kite", "Risto Saukonpää"),
    _kde("kde_onestandsout", "OneStandsOut", "Risto Saukonpää"),
    _kde("kde_volna", "Volna", "Nikita Babin", licence="CC-BY-SA-4.0 (metadata.json)",
         note="photoreal render (sand and surf)"),
    _mate("mate_aqua", "nature/Aqua.jpg", "Charles Barbin"),
    _mate("mate_blinds", "nature/Blinds.jpg", "Lennart Poettering, Andrea Cimitan"),
    _mate("mate_dune", "nature/Dune.jpg", "Marco Cogoni, Hylke Bons"),
    _mate("mate_freshflower", "nature/FreshFlower.jpg", "Jens Ansorg"),
    _mate("mate_garden", "nature/Garden.jpg", "Charles Barbin"),
    _mate("mate_greenmeadow", "nature/GreenMeadow.jpg", "Timothy Schellhase, Lapo Calamandrei"),
    _mate("mate_ladybird", "nature/LadyBird.jpg", "Charles Barbin"),
    _mate("mate_raindrops", "nature/RainDrops.jpg", "\"blackcombwhistler07\""),
    _mate("mate_storm", "nature/Storm.jpg", "Sergey Nazarov"),
    _mate("mate_twowings", "nature/TwoWings.jpg", "Charles Barbin, Hylke Bons"),
    _mate("mate_wood", "nature/Wood.jpg", "Jean-François Fortin Tam"),
    _mate("mate_yellowflower", "nature/YellowFlower.jpg", "Charles Barbin"),
    _lomiri("lomiri_aitzgorri", "aitzgorri_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("lomiri_bridge", "Bridge_by_Sander_Klootwijk.jpg", "Sander Klootwijk", "CC-BY-SA-4.0"),
    _lomiri("lomiri_dragonfly", "Dragonfly_by_Bolly.jpg", "\"Bolly\"", "CC-BY-SA-4.0"),
    _lomiri("lomiri_free", "free_by_Peter_Nerlich.jpg", "Peter Nerlich", "CC-BY-SA-4.0"),
    _lomiri("lomiri_friends", "friends_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("lomiri_greentock", "greentock_by_Peter_Nerlich.jpg", "Peter Nerlich", "CC-BY-SA-4.0"),
    _lomiri("lomiri_life", "life_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("lomiri_picosdeeuropa", "picosdeeuropa_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi",
            "CC-BY-4.0"),
    _lomiri("lomiri_picture0b", "Picture_0B_by_freespace.jpg", "Trevor \"Freespace\"", "CC-BY-4.0"),
    _lomiri("lomiri_picture1a", "Picture_1A_by_freespace.jpg", "Trevor \"Freespace\"", "CC-BY-4.0"),
    _lomiri("lomiri_seeding", "seeding_by_Clements_Engelhardt.jpg", "Clemens Engelhardt", "CC0-1.0"),
    _lomiri("lomiri_sunset", "sunset_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0"),
    _lomiri("lomiri_wine", "Wine_by_Jakkub_Mede.jpg", "Jakub Mede", "CC-BY-4.0"),
    _lomiri("lomiri_kleiber", "Kleiber_by_Lukas_Baubkus.jpg", "Lukas Baubkus", "CC-BY-SA-3.0",
            pkg=LOMIRI20),
    _lomiri("lomiri_infinite_sea", "Infinite-Sea_by_Aury88.jpg", "Aury88", "CC-BY-SA-3.0",
            pkg=LOMIRI20),
]
_VAL_PHOTO_NAMES = ("kde_kite", "mate_storm", "lomiri_picosdeeuropa", "lomiri_wine")
VAL_PHOTOS = [e for e in _DEBIAN_PHOTOS if e["name"] in _VAL_PHOTO_NAMES]
TRAIN_PHOTOS = _SKIMAGE_PHOTOS + [e for e in _DEBIAN_PHOTOS if e["name"] not in _VAL_PHOTO_NAMES]

_DPS = "luanfujun/deep-photo-styletransfer, commit 4801fa2dca2e2b52847c377f451246a39eae154a"
HELDOUT_PHOTOS = [
    _e("kde_path", "photos/kde_path.jpg", "photo", f"Debian {KDE_PKG}, Path", KDE_LIC,
       "Path by Risto Saukonpää", why="eval synthetic clips"),
    _e("kde_bythewater", "photos/kde_bythewater.jpg", "photo", f"Debian {KDE_PKG}, BytheWater",
       KDE_LIC, "By the water by Maciej Wiklo", why="eval synthetic clips"),
    _e("iot_asl_again_f30", "photos/iot_asl_again_f30.jpg", "photo", "frame of iot_asl_again.mkv",
       CC_BY_4, "Intel IoT DevKit sample-videos, CC BY 4.0", why="frame of a held-out clip"),
    _e("iot_headpose_male_f20", "photos/iot_headpose_male_f20.jpg", "photo",
       "frame of iot_headpose_male", CC_BY_4, "Intel IoT DevKit sample-videos, CC BY 4.0",
       why="frame of a held-out clip"),
    _e("iot_one_by_one_t60", "photos/iot_one_by_one_t60.jpg", "photo",
       "frame of iot_one_by_one_person_detection.mp4", CC_BY_4,
       "Intel IoT DevKit sample-videos, CC BY 4.0", why="frame of a held-out clip"),
    _e("opencv_messi5", "photos/opencv_messi5.jpg", "photo", "Debian opencv-doc 4.6.0", "sample",
       "OpenCV sample data", why="sample licence: tests only"),
    _e("opencv_basketball1", "photos/opencv_basketball1.png", "photo", "Debian opencv-doc 4.6.0",
       "sample", "OpenCV sample data", why="sample licence: tests only"),
] + [
    _e(f"dps_in{i}", f"photos/dps_in{i}.jpg", "photo", _DPS, "academic (non-commercial)",
       "deep-photo-styletransfer examples", why="academic licence: never for training")
    for i in (1, 3, 10, 11, 16, 24, 39, 41, 46, 53, 57)
]

# ---- styles -----------------------------------------------------------------------------
# photoreal looks for the grid network: the two free training styles of ../shared/media plus
# every trainable Debian photograph (any photo is a look). Val photos are not styles either.
TRAIN_STYLES = [
    _e("kde_fallenleaf", "styles/kde_fallenleaf.jpg", "style", f"Debian {KDE_PKG} 4:5.27.5-2, FallenLeaf",
       KDE_LIC, "Fallen Leaf by Martin Klapetek (KDE), LGPL-3.0"),
    _e("skimage_rocket", "styles/skimage_rocket.jpg", "style", SKIMAGE + ", rocket.jpg",
       "public domain (SpaceX)", "SpaceX (public domain)"),
] + [dict(e, kind="style") for e in _DEBIAN_PHOTOS
     if e["name"] not in _VAL_PHOTO_NAMES and e["name"] != "kde_fallenleaf_wp"]
VAL_STYLES = [dict(e, kind="style") for e in VAL_PHOTOS]
HELDOUT_STYLES = [
    _e("kde_eveningglow", "styles/kde_eveningglow.jpg", "style", f"Debian {KDE_PKG}, EveningGlow",
       KDE_LIC, "Evening Glow by Ian Hex (KDE), LGPL-3.0", why="eval default pair"),
    _e("kde_darkesthour", "styles/kde_darkesthour.jpg", "style", f"Debian {KDE_PKG}, DarkestHour",
       KDE_LIC, "Darkest Hour by Risto Saukonpää (KDE), LGPL-3.0", why="eval default pair"),
    _e("kde_summer_1am", "styles/kde_summer_1am.jpg", "style", f"Debian {KDE_PKG}, summer_1am",
       KDE_LIC, "summer 1am by Risto Saukonpää (KDE), LGPL-3.0", why="eval unseen-split pair"),
    _e("skimage_coffee", "styles/skimage_coffee.jpg", "style", SKIMAGE + ", coffee.png", "CC0-1.0",
       "Rachel Michetti (CC0)", why="eval unseen-split pair"),
] + [
    _e(f"dps_tar{i}", f"styles/dps_tar{i}.jpg", "style", _DPS, "academic (non-commercial)",
       "deep-photo-styletransfer examples", why="academic licence: never for training")
    for i in (1, 3, 9, 11, 12, 13, 14, 17, 21, 22, 31, 47, 50, 56)
]

# artistic looks (per-style networks): the public-domain paintings of ../shared/media/styles,
# plus Debian-packaged artwork candidates (check the share-alike/copyleft terms of those
# before shipping a network trained on them: GPL-2+ / CC BY-SA).
ARTISTIC_STYLES = [
    _e("opencv_starry_night", "styles/opencv_starry_night.jpg", "art",
       "Debian opencv-doc 4.6.0 (copy in ../shared/media)", "public domain (painting)",
       "Vincent van Gogh, The Starry Night (1889), public domain"),
    _e("pd_turner_shipwreck", "styles/pd_turner_shipwreck.jpg", "art",
       "jcjohnson/neural-style examples/inputs/shipwreck.jpg, commit 07c4b8299f8fbdafec0c514fc820ff1d7ff62e46",
       "public domain (painting)", "J. M. W. Turner, The Shipwreck of the Minotaur (c. 1810), public domain"),
    _e("pd_matisse_woman_with_hat", "styles/pd_matisse_woman_with_hat.jpg", "art",
       "jcjohnson/neural-style examples/inputs/woman-with-hat-matisse.jpg", "public domain (painting)",
       "Henri Matisse, Woman with a Hat (1905), public domain (US; life+70 since 2025)"),
    _e("pd_picabia_udnie", "styles/pd_picabia_udnie.jpg", "art",
       "lengstrom/fast-style-transfer examples/style/udnie.jpg, commit 0d3d981f7ab948253d355585bdbdfa914247b4d0",
       "public domain (painting)", "Francis Picabia, Udnie (1913), public domain (US; life+70 since 2024)"),
    _e("pd_hokusai_great_wave", "styles/pd_hokusai_great_wave.jpg", "art",
       "lengstrom/fast-style-transfer examples/style/wave.jpg", "public domain (print)",
       "Katsushika Hokusai, The Great Wave off Kanagawa (c. 1831), public domain"),
    # Debian artwork candidates
    _e("kde_autumn", "/usr/share/wallpapers/Autumn/contents/images/", "art",
       f"Debian {KDE_PKG}, /usr/share/wallpapers/Autumn (largest image)", KDE_LIC,
       "Autumn by RJ Quiralta (KDE Plasma wallpapers), LGPL-3.0", package=KDE_PKG,
       note="digital painting: tree with autumn leaves, soft brush texture"),
    _e("mate_elephants", "/usr/share/backgrounds/mate/abstract/Elephants.jpg", "art",
       f"Debian {MATE_PKG}, /usr/share/backgrounds/mate/abstract/Elephants.jpg", "GPL-2+",
       "Elephants by Wyng Stancikaite (MATE backgrounds, 2020), GPL-2+", package=MATE_PKG,
       note="psychedelic painted mirror pattern, blue/white"),
    _e("lomiri_painting_colors", "/usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg",
       "art", f"Debian {LOMIRI20}, /usr/share/backgrounds/Painting-Colors_by__herobrine7gamer.jpg",
       "CC-BY-SA-3.0", "Painting Colors by HEROBRINE7GAMER (Lomiri wallpapers), CC BY-SA 3.0",
       package=LOMIRI20, note="flat diagonal colour bands (graphic, not painterly)"),
]

# ---- helpers ----------------------------------------------------------------------------
ALL = {k: v for k, v in dict(
    TRAIN_CLIPS=TRAIN_CLIPS, VAL_CLIPS=VAL_CLIPS, HELDOUT_CLIPS=HELDOUT_CLIPS,
    TRAIN_PHOTOS=TRAIN_PHOTOS, VAL_PHOTOS=VAL_PHOTOS, HELDOUT_PHOTOS=HELDOUT_PHOTOS,
    TRAIN_STYLES=TRAIN_STYLES, VAL_STYLES=VAL_STYLES, HELDOUT_STYLES=HELDOUT_STYLES,
    ARTISTIC_STYLES=ARTISTIC_STYLES).items()}

# opencv_* items are "sample" (tests only) except where ../shared/media/README.md says free
OPENCV_FREE = frozenset(["opencv_starry_night"])  # public-domain painting
HELDOUT_NAMES = frozenset(e["name"] for e in HELDOUT_CLIPS + HELDOUT_PHOTOS + HELDOUT_STYLES)
# Debian originals of held-out images (must never be read by the build either)
HELDOUT_DEBIAN_FOLDERS = frozenset(["Path", "BytheWater", "EveningGlow", "DarkestHour", "summer_1am"])


def source_path(entry):
    """Absolute path of an entry's file (for KDE folders: the largest image in it)."""
    p = entry["path"]
    if not os.path.isabs(p):
        return os.path.join(MEDIA, p)
    if p.endswith("/"):
        def area(f):
            try:
                w, h = os.path.splitext(f)[0].split("x")
                return int(w) * int(h)
            except ValueError:
                return 0
        files = sorted(os.listdir(p), key=area)
        return os.path.join(p, files[-1])
    return p


def is_forbidden(entry_or_path):
    """True for anything that must never reach training: held-out names, dps_*, opencv_*,
    frames of held-out clips, and the Debian originals of held-out KDE images."""
    if isinstance(entry_or_path, dict):
        name, path = entry_or_path["name"], entry_or_path["path"]
    else:
        path = entry_or_path
        name = os.path.splitext(os.path.basename(path))[0]
    if name in HELDOUT_NAMES or name.startswith("dps_"):
        return True
    if name.startswith("opencv_") and name not in OPENCV_FREE:
        return True
    if any(name.startswith(h["name"]) for h in HELDOUT_CLIPS):
        return True
    parts = path.replace("\\", "/").split("/")
    return "wallpapers" in parts and any(f in parts for f in HELDOUT_DEBIAN_FOLDERS)


def split_entries(split, kind):
    """Entries of split 'train' | 'val' | 'heldout' and kind 'clips' | 'photos' | 'styles'."""
    return ALL[f"{split.upper()}_{kind.upper()}"]


def _self_check():
    for key in ("TRAIN_CLIPS", "TRAIN_PHOTOS", "TRAIN_STYLES", "VAL_CLIPS", "VAL_PHOTOS",
                "VAL_STYLES", "ARTISTIC_STYLES"):
        for e in ALL[key]:
            assert not is_forbidden(e), (key, e["name"])
    for key in ("HELDOUT_CLIPS", "HELDOUT_PHOTOS", "HELDOUT_STYLES"):
        for e in ALL[key]:
            assert is_forbidden(e), (key, e["name"])
    train = {e["name"] for k in ("TRAIN_CLIPS", "TRAIN_PHOTOS", "TRAIN_STYLES") for e in ALL[k]}
    val = {e["name"] for k in ("VAL_CLIPS", "VAL_PHOTOS", "VAL_STYLES") for e in ALL[k]}
    assert not train & val, train & val


_self_check()
