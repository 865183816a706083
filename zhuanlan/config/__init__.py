"""site.yaml → a typed Config. Each setting is declared once (site.py) with option types from
options.py; the settings reference in docs/网站设置.md is made from the same declarations
(reference.py)."""
from .site import CONFIG_FILE, CheckConfig, Config, Footer, ImageSettings, MenuItem, load_config

__all__ = ["CONFIG_FILE", "CheckConfig", "Config", "Footer", "ImageSettings", "MenuItem", "load_config"]
