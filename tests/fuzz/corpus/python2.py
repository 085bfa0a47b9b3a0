print "hello"
exec "x = 1"
x = `y`
