// value beyond the balance: -32003 InsufficientFunds
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"0xd3c21bcecceda1000000"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"InsufficientFunds: balance 10000000000000000000000 cannot pay gas limit \u00d7 max fee + value = 1000000000057750000000000","data":{"reason":"InsufficientFunds"}}}
