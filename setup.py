"""Build hook (everything else is in pyproject.toml): the shipped weights in ``models/`` go into the wheel as
``colorlib/_models/``, where ``colorlib.pretrained.default_path`` looks outside a checkout, so an installed wheel
colours a photo with no data, training or download. Kept out of the source package: 15 MB of weights belong to
``models/``, not ``colorlib/``."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS = Path(__file__).resolve().parent / "models"
FILES = ("model.safetensors", "config.json", "README.md")  # the Hugging Face layout of colorlib.pretrained


class BuildPyWithModels(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or not MODELS.is_dir():
            return  # an editable install reads models/ of the checkout itself
        for folder in sorted(p for p in MODELS.iterdir() if (p / FILES[0]).is_file()):
            target = Path(self.build_lib) / "colorlib" / "_models" / folder.name
            target.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                if (folder / name).is_file():
                    shutil.copy2(folder / name, target / name)


setup(cmdclass={"build_py": BuildPyWithModels})
