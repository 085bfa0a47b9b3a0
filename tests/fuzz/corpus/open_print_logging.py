import logging
log = logging.getLogger(__name__)

def dump(path, text):
    with open(path, "w") as fh:
        fh.write(text)
    print("wrote", text)
    logging.info("x %s", text)
    log.warning("y %s", text)
