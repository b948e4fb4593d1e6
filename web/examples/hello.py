# Hello, TorchPad
# Expected: prints a greeting and a countdown from 5 to 1, then "liftoff!" (pure Python, no torch needed)
import time

print("Hello from", "TorchPad ✨")
for i in range(5, 0, -1):
    print(f"{i}...")
    time.sleep(0.1)
print("liftoff!")
