"""Files the desktop needs, shipped inside the package: the application icon
(``playground.svg``, and ``playground.png`` rendered from it at 256x256 by
``tools/render_icon.py``) and the Linux menu entry ``playground.desktop``. Their paths:
``importlib.resources.files("playground.share") / NAME``; docs/install.md says where to copy
them."""
