"""fastnas.zerocost"""
