import { checkExpansion, type BlockKind } from './kind.js';

export const edgeResidual = {
  name: 'edge_residual' as const,
  aliases: ['er'],
  doc: 'Edge residual (EfficientNet-EdgeTPU, timm `EdgeResidual`): k×k conv in→mid with the stride + act, SE (if `se`), 1×1 project conv mid→C without activation; two convolutions even at `e1`.',
  takes: ['e', 'mid', 'expand_from', 'se', 'groups', 'group_size', 'dilation', 'project_split'],
  notTaken: 'an edge-residual block has no separate expand conv',
  defaultSkip: 'auto',
  expands: true,
  check: (c) => checkExpansion('edge_residual', c),
  layers(b, make) {
    const c = b.config;
    make.conv('fused', b.mid, { kernels: c.kernels, stride: b.stride, act: c.act, spatial: true });
    make.se();
    make.conv('project', c.channels, { kernels: [1], act: 'identity', split: c.projectSplit });
  },
  timm: (role) => (role === 'project' ? ['conv_pwl', 'bn2'] : ['conv_exp', 'bn1']),
} satisfies BlockKind;
