"""Settings of the pages benchmark's server (bench/web.py), never of the product: the
product's settings, with the URLconf of bench/web_urls.py (the product's URLs and one
bare view to compare the pages with). The benchmark puts bench/ on the server's path."""

from sprechzeit.config.settings import *  # noqa: F403 - the product's settings, unchanged

ROOT_URLCONF = "web_urls"
