"""fastnas.models"""
