# vim: set fileencoding=latin-1 :
import os
x = "été"
