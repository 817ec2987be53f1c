"""fastnas.testing"""
