import sqlite3

def save(email):
    conn = sqlite3.connect("db.sqlite")
    conn.execute("INSERT INTO t VALUES (?)", (email,))
    cur = conn.cursor()
    cur.execute("SELECT 1")
