import type { Clock } from '../../service/clock';

/** A clock tests move by hand: time-driven behaviour is tested without sleeping. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-06-01T12:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }

  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }

  advanceDays(days: number): Date {
    return this.advance(days * 86_400_000);
  }
}
