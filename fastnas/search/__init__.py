"""fastnas.search"""
