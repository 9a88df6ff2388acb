"""``python -m scripts.moto_ext [moto.server args]``: moto's server with our additions."""
import sys

from scripts.moto_ext import install


def main() -> None:
    install()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
