import { run } from '../rolling-deploy/post.js';

void run();
