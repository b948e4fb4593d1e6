# FizzBuzz with live metrics
# Expected: prints FizzBuzz for 1..30 and charts "fizz_ratio" and "buzz_ratio" per step (pure Python + torchpad.log)
import torchpad

fizz = buzz = 0
for n in range(1, 31):
    word = ("Fizz" if n % 3 == 0 else "") + ("Buzz" if n % 5 == 0 else "")
    fizz += n % 3 == 0
    buzz += n % 5 == 0
    print(word or n)
    torchpad.log(step=n, fizz_ratio=fizz / n, buzz_ratio=buzz / n)
