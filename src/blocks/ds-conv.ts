import type { BlockKind } from './kind.js';

export const dsConv = {
  name: 'ds_conv' as const,
  aliases: ['ds'],
  doc: "Depthwise separable (timm `DepthwiseSeparableConv`; torchvision's MBConv at expand ratio 1): k×k depthwise conv with the stride + act, SE (if `se`), 1×1 project conv in→C without activation.",
  takes: ['se', 'groups', 'group_size', 'dilation', 'project_split'],
  notTaken: 'a depthwise-separable block has no expansion',
  defaultSkip: 'auto',
  expands: false,
  layers(b, make) {
    const c = b.config;
    make.conv('depthwise', b.in, { kernels: c.kernels, stride: b.stride, act: c.act, depthwise: true, spatial: true });
    make.se();
    make.conv('project', c.channels, { kernels: [1], act: 'identity', split: c.projectSplit });
  },
  timm: (role) => (role === 'depthwise' ? ['conv_dw', 'bn1'] : ['conv_pw', 'bn2']),
} satisfies BlockKind;
