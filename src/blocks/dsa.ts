import type { BlockKind } from './kind.js';

export const dsa = {
  name: 'dsa' as const,
  aliases: [],
  doc: "MobileNetV1's depthwise separable block (timm `dsa`: `DepthwiseSeparableConv` with `pw_act`): k×k depthwise conv with the stride + act, SE (if `se`), 1×1 pointwise conv in→C **with** the activation; no residual unless `skip on`.",
  takes: ['se', 'groups', 'group_size', 'dilation', 'project_split'],
  notTaken: 'a `dsa` block has no expansion',
  defaultSkip: 'off',
  expands: false,
  layers(b, make) {
    const c = b.config;
    make.conv('depthwise', b.in, { kernels: c.kernels, stride: b.stride, act: c.act, depthwise: true, spatial: true });
    make.se();
    make.conv('project', c.channels, { kernels: [1], act: c.act, split: c.projectSplit });
  },
  timm: (role) => (role === 'depthwise' ? ['conv_dw', 'bn1'] : ['conv_pw', 'bn2']),
} satisfies BlockKind;
