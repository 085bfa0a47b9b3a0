class C:
    def m(self, name):
        self.name = name

    @classmethod
    def k(cls, email):
        return cls(email)

    @staticmethod
    def s(phone):
        return phone
