// from an account the node holds no key for: -32003
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0x000000000000000000000000000000000000dead","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"0x1"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"UnknownAccount: 0x000000000000000000000000000000000000dEaD is not a dev account"}}
