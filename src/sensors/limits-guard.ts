import type { Profile } from "../profiles/profile.ts";

/** Whether the agent takes new work, and why. */
export interface GuardState {
  readonly accepting: boolean;
  /** What decided it, with the reading and the limit, e.g. `temperature 81.5 °C reached 80 °C`. */
  readonly reason: string;
}

/** The battery as the guard needs it (a `BatteryReading` fits). */
export interface GuardBattery {
  /** Charge, 0 to 100. */
  readonly percent: number;
  readonly discharging: boolean;
}

/** One round of readings. A field left out keeps what the guard knew; null means "no such sensor". */
export interface GuardReadings {
  /** The hottest zone, °C. Null (no sensor, or it could not be read) leaves the thermal state as it was. */
  readonly temperatureC?: number | null;
  /** Null when the device has no battery: it runs on mains, so the battery limit does not apply. */
  readonly battery?: GuardBattery | null;
}

/** Guard settings: the profile's limits and who to tell. */
export interface LimitsGuardOptions {
  readonly thermal: Profile["thermal"];
  /** Null for mains-only profiles: battery readings are then ignored. */
  readonly battery: Profile["battery"];
  /** Called whenever `accepting` flips or the cause of stopping changes (the agent logs it). */
  readonly onChange?: (state: GuardState) => void;
}

const deg = (c: number) => `${Math.round(c * 10) / 10} °C`;
const pct = (p: number) => `${Math.round(p)}%`;

/**
 * Decides whether the agent accepts new work from temperature and battery readings, with the
 * profile's hysteresis so a device hovering at a limit does not flap: no new work once the
 * temperature reaches `thermal.maxC`, again only when it falls below `thermal.resumeC`; no new
 * work when the battery falls below `battery.minPercent` while discharging, again when it rises
 * above `battery.resumePercent` or starts charging (or is no longer there). Work already running
 * is not stopped; that is the caller's choice. Pure logic: it reads nothing and keeps no timer.
 */
export class LimitsGuard {
  readonly #options: LimitsGuardOptions;
  #hot: string | null = null;
  #flat: string | null = null;
  #state: GuardState = Object.freeze({ accepting: true, reason: "within limits" });

  constructor(options: LimitsGuardOptions) {
    this.#options = options;
  }

  /** The current decision. */
  get state(): GuardState {
    return this.#state;
  }

  /** Takes a round of readings and returns the decision, calling `onChange` if it changed. */
  update(readings: GuardReadings): GuardState {
    const { thermal, battery: limits } = this.#options;
    let resumed: string | null = null;
    const t = readings.temperatureC;
    if (typeof t === "number" && Number.isFinite(t)) {
      if (this.#hot === null && t >= thermal.maxC) {
        this.#hot = `temperature ${deg(t)} reached ${deg(thermal.maxC)}; resumes below ${deg(thermal.resumeC)}`;
      } else if (this.#hot !== null && t < thermal.resumeC) {
        this.#hot = null;
        resumed = `temperature ${deg(t)} is below ${deg(thermal.resumeC)}`;
      }
    }
    const b = readings.battery;
    if (b !== undefined && limits !== null) {
      if (this.#flat === null && b !== null && b.discharging && b.percent < limits.minPercent) {
        this.#flat = `battery ${pct(b.percent)} and discharging, below ${pct(limits.minPercent)}; resumes above ${pct(limits.resumePercent)} or when charging`;
      } else if (this.#flat !== null && (b === null || !b.discharging || b.percent > limits.resumePercent)) {
        this.#flat = null;
        resumed = b === null ? "battery no longer present" : !b.discharging ? `battery ${pct(b.percent)} and charging` : `battery ${pct(b.percent)} is above ${pct(limits.resumePercent)}`;
      }
    }
    const causes = [this.#hot, this.#flat].filter((c): c is string => c !== null);
    const accepting = causes.length === 0;
    const stopReason = causes.join("; ");
    const changed = accepting !== this.#state.accepting || (!accepting && stopReason !== this.#state.reason);
    if (changed) {
      this.#state = Object.freeze({ accepting, reason: accepting ? `${resumed ?? "within limits"}: accepting work again` : stopReason });
      this.#options.onChange?.(this.#state);
    }
    return this.#state;
  }
}
