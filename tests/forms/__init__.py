"""Every form a person can submit, fed hostile input: it answers, explains, and writes all or
nothing.

Each test starts from a submission the form accepts and lets hypothesis replace some of its
fields with what people (and scripts) really send: NUL bytes, 10,000 characters, right-to-left
text and emoji, "1e309", "NaN", "9" * 40, impossible dates, a field posted twice, a field left
out. Whatever arrives, the app answers without a server error; a refusal names what is wrong
on the page; and a refused submission changes no row anywhere.

Each example runs in a savepoint that is rolled back afterwards, so examples do not see each
other's writes.
"""
