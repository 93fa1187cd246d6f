# lit configuration for resc's FileCheck tests.
# Substitutions: resc, resc-opt, FileCheck, %python, %models (the zoo cache),
# %S/%s/%t as usual. Tests live beside their expected output.
import os
import lit.formats

config.name = "resc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ir", ".test", ".py.test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.resc_build_root, "test", "lit-out")
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]

config.substitutions.append(("%resc-opt", os.path.join(config.resc_bin_dir, "resc-opt")))
config.substitutions.append(("%resc", os.path.join(config.resc_bin_dir, "resc")))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%models", os.path.join(config.resc_build_root, "models")))
config.substitutions.append(("FileCheck", config.filecheck))
config.substitutions.append(("%src", config.resc_src_root))
config.environment["PATH"] = os.pathsep.join(
    [config.resc_bin_dir, os.path.dirname(config.filecheck), config.environment.get("PATH", "/usr/bin:/bin")])
