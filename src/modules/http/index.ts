/** http: checks that a URL answers as expected. */
import { moduleFunction } from '../../task/task.ts';
import { httpCheckModule } from './check.ts';

export { httpCheckModule };

export const check = moduleFunction(httpCheckModule);
