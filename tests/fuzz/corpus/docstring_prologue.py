"""Module doc."""
import os

x = os.getcwd()
