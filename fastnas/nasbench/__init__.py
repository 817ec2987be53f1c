"""fastnas.nasbench"""
