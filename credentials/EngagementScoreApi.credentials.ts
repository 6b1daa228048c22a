import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

export class EngagementScoreApi implements ICredentialType {
  name = 'engagementScoreApi';

  displayName = 'Engagement Score API';

  icon: Icon = {
    light: 'file:../nodes/EngagementScore/engagementScore.svg',
    dark: 'file:../nodes/EngagementScore/engagementScore.dark.svg',
  };

  documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-engagement-score#credentials';

  properties: INodeProperties[] = [
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'http://127.0.0.1:3000',
      placeholder: 'https://scores.example.com',
      required: true,
      description: 'Where the Engagement Score service answers, without /v1',
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description:
        'A key of your workspace (npm run keys -- create). Reading needs the reader role, recording interactions and updating scores the writer role, and the trigger the admin role.',
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        Authorization: '=Bearer {{$credentials.apiKey}}',
      },
    },
  };

  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '/v1/me',
    },
  };
}
