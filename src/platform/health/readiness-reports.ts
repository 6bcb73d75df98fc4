import { Injectable } from '@nestjs/common';

/** What a module shows under its name in /health/ready; never a reason to be unready. */
export type ReadinessReport = () => Promise<Record<string, unknown>>;

/**
 * Where modules register what /health/ready lists beside its own checks, so the platform shows
 * module facts (failing senders, …) without importing any module.
 */
@Injectable()
export class ReadinessReports {
  private readonly reports = new Map<string, ReadinessReport>();

  register(name: string, report: ReadinessReport): void {
    this.reports.set(name, report);
  }

  entries(): [string, ReadinessReport][] {
    return [...this.reports];
  }
}
