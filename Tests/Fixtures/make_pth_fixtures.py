"""Writes small torch.save files into Tests/Fixtures/pth/ for the restricted unpickler's tests.

Run from the repository root:  python3 Tests/Fixtures/make_pth_fixtures.py

  state_dict.pth   an OrderedDict state dict (with _metadata, as module.state_dict() returns) holding
                   bf16 [2, 3] = arange(6), f16 [4] = 0.5 * arange(4), f32 [2, 2] = arange(4) - 1.5,
                   and "t" = a transposed (non-contiguous) f32 [3, 2] view.
  evil_global.pth  a pickle whose object reduces to os.system("echo pwned"): must be rejected, never run.
  evil_stack.pth   the same through STACK_GLOBAL (protocol 4) and builtins.eval.
  compressed.pth   state_dict.pth re-zipped with deflate: its entries cannot be read in place.
"""
import collections
import io
import os
import pickle
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pth")
os.makedirs(OUT, exist_ok=True)

sd = collections.OrderedDict()
sd["a"] = torch.arange(6, dtype=torch.bfloat16).reshape(2, 3)
sd["h"] = (0.5 * torch.arange(4)).to(torch.float16)
sd["f"] = torch.arange(4, dtype=torch.float32).reshape(2, 2) - 1.5
sd["t"] = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
sd._metadata = collections.OrderedDict({"": {"version": 1}})
torch.save(sd, os.path.join(OUT, "state_dict.pth"))


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


class EvilEval:
    def __reduce__(self):
        return (eval, ("print('pwned')",))


def zip_with_pickle(name, payload):
    with zipfile.ZipFile(os.path.join(OUT, name), "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")


zip_with_pickle("evil_global.pth", pickle.dumps({"w": Evil()}, protocol=2))
zip_with_pickle("evil_stack.pth", pickle.dumps({"w": EvilEval()}, protocol=4))

with zipfile.ZipFile(os.path.join(OUT, "state_dict.pth")) as src, \
        zipfile.ZipFile(os.path.join(OUT, "compressed.pth"), "w", compression=zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
