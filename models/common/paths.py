"""Well-known paths. SHARED can be moved with the RESTYLE_SHARED environment variable."""
import os

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # <repo>/models
REPO = os.path.dirname(MODELS)
SHARED = os.path.abspath(os.environ.get("RESTYLE_SHARED") or os.path.join(REPO, "..", "shared"))
MEDIA = os.path.join(SHARED, "media")
CACHE = os.path.join(MODELS, "data", "cache")
# the distilled VGG-19 weights (Collaborative Distillation, MIT); see models/README.md
VGG_WEIGHTS_DIR = os.path.join(SHARED, "models", "upstream", "Collaborative-Distillation")
SELFIE_ONNX = os.path.join(MODELS, "selfie_segmentation.onnx")
