#!/usr/bin/env python
# -*- coding: latin-1 -*-
def f(nom):
    s = "café " + nom
    return s
