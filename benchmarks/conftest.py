"""Lets the benchmark modules import their shared helpers (``_timing``) under pytest as they do as scripts."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
