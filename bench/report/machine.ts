import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { decimal } from './format.ts';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function describeMachine(): Machine {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: totalmem() / 2 ** 30,
    os: `${type()} ${release()}`,
    node: process.version,
  };
}

/** One line for the report's head. */
export function machineLine(machine: Machine): string {
  return (
    `${machine.cpuModel}, ${machine.cores} cores, ${decimal(machine.memoryGiB, 0)} GiB, ` +
    `${machine.os}, Node ${machine.node}`
  );
}

/** The 1-minute load average, a hint of how busy the shared machine was. */
export function loadAverage(): string {
  return decimal(loadavg()[0]!, 2);
}
