import pi3 from "../../profiles/pi3.json" with { type: "json" };
import pi4 from "../../profiles/pi4.json" with { type: "json" };
import pi5 from "../../profiles/pi5.json" with { type: "json" };
import jetsonNano from "../../profiles/jetson-nano.json" with { type: "json" };
import jetsonOrin from "../../profiles/jetson-orin.json" with { type: "json" };
import gpu from "../../profiles/gpu.json" with { type: "json" };
import x86 from "../../profiles/x86.json" with { type: "json" };
import lowPower from "../../profiles/low-power.json" with { type: "json" };

/**
 * The profiles shipped in `profiles/`, imported so the bundle and the single executables carry
 * them (no files to find at run time). Raw JSON: validate before use.
 */
export const BUILTIN_PROFILES: Readonly<Record<string, unknown>> = Object.freeze({
  pi3,
  pi4,
  pi5,
  "jetson-nano": jetsonNano,
  "jetson-orin": jetsonOrin,
  gpu,
  x86,
  "low-power": lowPower,
});
