def f(a ):
      reb
