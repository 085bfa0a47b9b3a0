class C(Base):
    def m(self, a):
        super().m(a)
        v = vars(self)
        l = locals()
        e = eval("a")
        exec("b = 1")
        return __import__("os").path
