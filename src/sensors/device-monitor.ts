import type { Logger } from "../log/logger.ts";
import type { Profile } from "../profiles/profile.ts";
import type { Files, Timers } from "../runtime/runtime.ts";
import { readBattery, type BatteryReading } from "./battery.ts";
import { LimitsGuard, type GuardState } from "./limits-guard.ts";
import { readPowerRails, type PowerRails } from "./power-rails.ts";
import { readThermal, type ThermalReading } from "./thermal.ts";

/** The device's own readings, as status shows them. */
export interface DeviceReadings {
  thermal: ThermalReading | null;
  battery: BatteryReading | null;
  power: PowerRails | null;
  limits: GuardState;
}

/**
 * Reads the device's sensors (thermal zones, battery, power rails) every `intervalMs` from sysfs
 * under `root`, and feeds the profile's limits guard: new work stops when the device is too hot
 * or its battery too low, with hysteresis, and the change is logged (`limits.stop`,
 * `limits.resume`). Boards without a sensor simply report null for it.
 */
export class DeviceMonitor {
  readonly #deps: { files: Files; timers: Timers; log: Logger; profile: Profile; root: string; intervalMs: number };
  readonly #guard: LimitsGuard;
  #readings: DeviceReadings;
  #timer: unknown = null;

  constructor(deps: { files: Files; timers: Timers; log: Logger; profile: Profile; root?: string; intervalMs?: number }) {
    this.#deps = { root: "/", intervalMs: 5_000, ...deps };
    this.#guard = new LimitsGuard({
      thermal: deps.profile.thermal,
      battery: deps.profile.battery,
      onChange: (state) => (state.accepting ? deps.log.info("limits.resume", { reason: state.reason }) : deps.log.warn("limits.stop", { reason: state.reason })),
    });
    this.#readings = { thermal: null, battery: null, power: null, limits: this.#guard.state };
  }

  /** The latest readings. */
  get readings(): DeviceReadings {
    return this.#readings;
  }

  /** True while the device's limits allow new work. */
  accepting(): boolean {
    return this.#guard.state.accepting;
  }

  /** Reads once now, then every interval. Idempotent. */
  async start(): Promise<void> {
    if (this.#timer !== null) return;
    await this.read();
    this.#timer = this.#deps.timers.setInterval(() => void this.read(), this.#deps.intervalMs);
  }

  /** Stops reading. Idempotent. */
  stop(): void {
    if (this.#timer !== null) this.#deps.timers.clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One round of readings (also used by tests). */
  async read(): Promise<DeviceReadings> {
    const { files, root } = this.#deps;
    const [thermal, battery, power] = await Promise.all([readThermal(files, root), readBattery(files, root), readPowerRails(files, root)]);
    const percent = battery?.percent;
    const limits = this.#guard.update({
      temperatureC: thermal?.hottest?.celsius ?? null,
      battery: battery && typeof percent === "number" ? { percent, discharging: battery.status === "Discharging" } : null,
    });
    this.#readings = { thermal, battery, power, limits };
    return this.#readings;
  }
}
