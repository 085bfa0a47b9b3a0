#!/usr/bin/env python3

if True:
    pass
