"""fastnas.sim"""
